// The `kubefed` command as package.json's "bin" names it (dist/cli.js): a few lines that check
// the Node.js version, then load the program, bundled beside it as dist/cli-main.js (see
// scripts/build.mjs). On an older Node the program would fail inside library code; this says
// why, in one line, and exits 2 before anything heavy is loaded.
import { MINIMUM_NODE, PROJECT_IMAGE, VERSION } from '../inputs/version.js';
import { EXIT_USAGE, errorReport, wantsJson } from './cli-contract.js';

/** Whether dotted version `version` is at least `minimum` (both as process.versions.node). */
function atLeast(version: string, minimum: string): boolean {
  const [have, want] = [version, minimum].map((v) => v.split('.').map((n) => Number.parseInt(n, 10) || 0));
  const differs = want.findIndex((n, i) => (have[i] ?? 0) !== n);
  return differs < 0 || (have[differs] ?? 0) > want[differs];
}

/** The program's bundle, next to this one: a name the bundler leaves alone (built separately). */
const PROGRAM = './cli-main.js';

if (atLeast(process.versions.node, MINIMUM_NODE)) {
  await import(/* webpackIgnore: true */ PROGRAM);
} else {
  const message =
    `needs Node.js ${MINIMUM_NODE} or newer, this is ${process.versions.node}; ` +
    `install a current Node.js (24 LTS), or run the image ${PROJECT_IMAGE}:v${VERSION}`;
  if (wantsJson(process.argv.slice(2)))
    process.stdout.write(`${JSON.stringify(errorReport(message, EXIT_USAGE), null, 2)}\n`);
  process.stderr.write(`kubefed: ${message}\n`);
  process.exitCode = EXIT_USAGE;
}
