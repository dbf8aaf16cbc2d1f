// Bundles each entry point with ncc into one file under dist/ (dist/index.js, dist/post.js,
// dist/cli.js), as action.yml and package.json "bin" name them. dist/cli.js is only the CLI's
// Node.js version check: it then imports the program, bundled on its own as dist/cli-main.js,
// so that an older Node loads none of it.
//
// Each bundle is written in ASCII, every other character as its \u escape: V8 keeps a script's
// source for as long as the script lives, one byte a character when every character is Latin-1
// and two bytes otherwise. One "…" in a message would double the 6 MB of dist/index.js held
// in memory (about 6 MiB more RSS on every run).
import ncc from '@vercel/ncc';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const ENTRIES = {
  index: 'src/entrypoints/main.ts',
  post: 'src/entrypoints/post.ts',
  cli: 'src/entrypoints/cli-entry.ts',
  'cli-main': 'src/entrypoints/cli.ts',
};

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
for (const [name, entry] of Object.entries(ENTRIES)) {
  const { code, assets } = await ncc(new URL(`../${entry}`, import.meta.url).pathname, {
    minify: true,
    sourceMap: false,
    target: 'es2022',
    quiet: true,
    license: name === 'index' ? 'licenses.txt' : undefined,
  });
  const ascii = asciiOnly(code);
  writeFileSync(`dist/${name}.js`, name === 'cli' && !ascii.startsWith('#!') ? `#!/usr/bin/env node\n${ascii}` : ascii, {
    mode: name === 'cli' ? 0o755 : 0o644,
  });
  for (const [file, asset] of Object.entries(assets ?? {})) {
    if (file === 'licenses.txt') writeFileSync(`dist/${file}`, asset.source);
    else if (!file.endsWith('package.json')) throw new Error(`${entry}: unexpected asset ${file}; ship it or drop it`);
  }
  console.log(`dist/${name}.js  ${(code.length / 1024).toFixed(0)} KiB`);
}

/**
 * `code` with each UTF-16 unit above U+007F written as `\uXXXX`, which means the same character
 * wherever it can stand in JavaScript (strings, templates but their String.raw text, regular
 * expressions, identifiers; comments). One after a backslash would not: that is refused.
 */
function asciiOnly(code) {
  return code.replace(/\\?[^\x00-\x7f]/g, (found) => {
    if (found.length > 1) throw new Error(`a backslash before a non-ASCII character: ${JSON.stringify(found)}`);
    return `\\u${found.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
