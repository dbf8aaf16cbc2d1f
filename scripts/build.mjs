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
// - The code is ASCII, every other character as its \u escape (licence comments stay as
//   written): V8 keeps a script's source as long as the script lives, at two bytes a character
//   once one is beyond Latin-1.
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
  const text = minified.code;
  writeFileSync(`dist/${name}.js`, name === 'cli' && !text.startsWith('#!') ? `#!/usr/bin/env node\n${text}` : text, {
    mode: name === 'cli' ? 0o755 : 0o644,
  });
  for (const [file, asset] of Object.entries(assets ?? {})) {
    if (file === 'licenses.txt') writeFileSync(`dist/${file}`, asset.source);
    else if (!file.endsWith('package.json')) throw new Error(`${entry}: unexpected asset ${file}; ship it or drop it`);
  }
  console.log(`dist/${name}.js  ${(text.length / 1024).toFixed(0)} KiB`);
}
