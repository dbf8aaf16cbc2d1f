// Bundles each entry point with ncc into one file under dist/ (dist/index.js, dist/post.js,
// dist/cli.js), as action.yml and package.json "bin" name them. dist/cli.js is only the CLI's
// Node.js version check: it then imports the program, bundled on its own as dist/cli-main.js,
// so that an older Node loads none of it.
//
// esbuild minifies each bundle, not ncc: ncc's minifier only renames (terser with
// `compress: false`), so every class the official client generates stayed in, used or not:
// some 200 API groups' request code, which the action never calls and every run compiled
// (dist/index.js went from 6.0 MB to 3.1 MB, start-up by about 60 ms of CPU).
// - ws's optional native add-ons are external, required at run time (ws catches their
//   absence): ncc otherwise writes `eval("require")` for them, and a direct eval anywhere
//   stops every minifier from dropping anything it could see.
// - The bundles are ASCII, every other character as its \u escape (esbuild's in the code,
//   asciiOnly's in the licence comments it keeps): Node gives V8 a module's source at two bytes
//   a character once one character is not ASCII, and V8 keeps it as long as the module lives
//   (on the 6 MB bundle of before, 6 MiB of RSS for one "…" in a message).
// - Names are kept, as ncc kept them: an error's class name can reach a message.
import ncc from '@vercel/ncc';
import { transform } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const ENTRIES = {
  index: 'src/entrypoints/main.ts',
  post: 'src/entrypoints/post.ts',
  cli: 'src/entrypoints/cli-entry.ts',
  'cli-main': 'src/entrypoints/cli.ts',
};
const OPTIONAL_ADD_ONS = ['bufferutil', 'utf-8-validate'];

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
for (const [name, entry] of Object.entries(ENTRIES)) {
  const { code, assets } = await ncc(new URL(`../${entry}`, import.meta.url).pathname, {
    minify: false,
    sourceMap: false,
    target: 'es2022',
    quiet: true,
    externals: OPTIONAL_ADD_ONS,
    license: name === 'index' ? 'licenses.txt' : undefined,
  });
  const minified = await transform(code, {
    format: 'esm',
    target: 'es2022',
    minify: true,
    treeShaking: true,
    keepNames: true,
    charset: 'ascii',
  });
  for (const warning of minified.warnings) console.warn(`${entry}: ${warning.text}`);
  const text = asciiOnly(minified.code);
  writeFileSync(`dist/${name}.js`, name === 'cli' && !text.startsWith('#!') ? `#!/usr/bin/env node\n${text}` : text, {
    mode: name === 'cli' ? 0o755 : 0o644,
  });
  for (const [file, asset] of Object.entries(assets ?? {})) {
    if (file === 'licenses.txt') writeFileSync(`dist/${file}`, asset.source);
    else if (!file.endsWith('package.json')) throw new Error(`${entry}: unexpected asset ${file}; ship it or drop it`);
  }
  console.log(`dist/${name}.js  ${(text.length / 1024).toFixed(0)} KiB`);
}

/**
 * `code` with each UTF-16 unit above U+007F written as `\uXXXX`: the same character wherever
 * it can stand in JavaScript but a String.raw template's raw text, and in a comment readable
 * still. After a backslash it would not be the same: that is refused.
 */
function asciiOnly(code) {
  return code.replace(/\\?[\u0080-\uffff]/g, (found) => {
    if (found.length > 1) throw new Error(`a backslash before a non-ASCII character: ${JSON.stringify(found)}`);
    return `\\u${found.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
