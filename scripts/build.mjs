// Bundles each entry point with ncc into one file under dist/ (dist/index.js, dist/post.js,
// dist/cli.js), as action.yml and package.json "bin" name them. dist/cli.js is only the CLI's
// Node.js version check: it then imports the program, bundled on its own as dist/cli-main.js,
// so that an older Node loads none of it.
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
  writeFileSync(`dist/${name}.js`, name === 'cli' && !code.startsWith('#!') ? `#!/usr/bin/env node\n${code}` : code, {
    mode: name === 'cli' ? 0o755 : 0o644,
  });
  for (const [file, asset] of Object.entries(assets ?? {})) {
    if (file === 'licenses.txt') writeFileSync(`dist/${file}`, asset.source);
    else if (!file.endsWith('package.json')) throw new Error(`${entry}: unexpected asset ${file}; ship it or drop it`);
  }
  console.log(`dist/${name}.js  ${(code.length / 1024).toFixed(0)} KiB`);
}
