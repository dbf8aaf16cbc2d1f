// The CLI keeps its word to scripts (README, examples/gitlab-ci.yml), run as built
// (dist/cli.js): a usage error exits 2 and an unhealthy or failed run 1; a boolean flag never
// takes the next word; -o json prints one JSON document whatever happens; a port fetch refuses
// is explained; and a Node.js too old for the program says so in one line, loading nothing else.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as yaml from 'js-yaml';
import { MINIMUM_NODE, VERSION } from '../src/inputs/version.js';

/** A kubeconfig whose one context, c, names `server`: nothing answers on port 1. */
function kubeconfigFor(server: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kubefed-usage-')), 'config');
  writeFileSync(
    file,
    yaml.dump({
      apiVersion: 'v1',
      clusters: [{ name: 'c', cluster: { server } }],
      users: [{ name: 'u', user: { token: 't0k3n' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    }),
  );
  return file;
}
const unreachable = kubeconfigFor('https://127.0.0.1:1');

function kubefed(args: string[], { server = unreachable, node = process.execPath, nodeArgs = [] as string[] } = {}) {
  return spawnSync(node, [...nodeArgs, resolve('dist/cli.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', KUBECONFIG: server },
    timeout: 60_000,
  });
}

const HOST = '--host-cluster-context=c';
const INIT = ['--dns-provider=coredns', '--dns-zone-name=example.com.'];

describe('usage errors exit 2, distinct from a failed or unhealthy run (1)', () => {
  test.each([
    ['an unknown option', ['join', 'gondor', HOST, '--bogus'], "unknown option '--bogus'"],
    ['a missing argument', ['join', HOST], "missing required argument 'cluster-name'"],
    ['a missing option value', ['join', 'gondor', '--host-cluster-context'], 'argument missing'],
    ['a bad -o', ['join', 'gondor', HOST, '-o', 'xml'], "argument 'xml' is invalid. Allowed choices are text, json"],
    ['a bad shell', ['completion', 'fish'], 'is not bash or zsh'],
    ['an unknown command', ['frobnicate'], "unknown command 'frobnicate'"],
    ['no command', [], 'give a command'],
    ['an excess argument', ['version', 'extra'], 'too many arguments'],
  ])('%s', (_what, args, message) => {
    const run = kubefed(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('nothing was changed');
  });

  test('a run that cannot reach its host fails with 1', () => {
    expect(kubefed(['init', 'f', HOST, ...INIT]).status).toBe(1);
  });

  test('help and --version exit 0', () => {
    expect(kubefed(['join', '--help']).status).toBe(0);
    expect(kubefed(['--version'])).toMatchObject({ status: 0, stdout: `${VERSION}\n` });
  });

  test('--wait says what each command waits for, and its default', () => {
    const wait = (command: string) => /--wait \[bool\]\s+(.*)/.exec(kubefed([command, '--help']).stdout)?.[1];
    expect(wait('join')).toBe('wait until the federation is healthy (default true)');
    expect(wait('status')).toBe('wait until every federated object is delivered (default: report once)');
    expect(wait('federate')).toMatch(/^wait until the members have the object \(default: done once/);
  });
});

describe('boolean flags', () => {
  test('never take the next word: `join --dry-run gondor` joins gondor', () => {
    const run = kubefed(['join', '--dry-run', 'gondor', HOST]);
    // It got as far as reaching the host (no usage error about a missing cluster name).
    expect(run.stderr).not.toContain('missing required argument');
    expect(run.stderr).toContain('host cluster (context "c")');
    expect(run.status).toBe(1);
    expect(kubefed(['join', '--wait', 'gondor', HOST]).status).toBe(1);
  });

  test('take true or false after =, and nothing else', () => {
    for (const value of ['none', 'yes', '1', '']) {
      const run = kubefed(['join', 'gondor', HOST, `--dry-run=${value}`]);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`argument '${value}' is invalid. Give true or false`);
    }
    expect(kubefed(['join', 'gondor', HOST, '--dry-run=false']).status).toBe(1);
    // destroy refuses a dry run before it reads anything: the value reached it.
    expect(kubefed(['destroy', 'f', HOST, '--dry-run=true']).stderr).toContain('destroy cannot be dry-run');
    expect(kubefed(['destroy', 'f', HOST, '--dry-run=false']).stderr).not.toContain('destroy cannot be dry-run');
  });
});

describe('-o json prints exactly one JSON document on stdout', () => {
  test.each([
    ['a usage error', ['join', 'gondor', HOST, '--bogus', '-o', 'json'], 2],
    ['a usage error before -o', ['join', '--dry-run=maybe', 'gondor', HOST, '--output=json'], 2],
    [
      'an input error',
      ['join', 'gondor', '--kubefed-namespace=a', '--federation-system-namespace=b', HOST, '-ojson'],
      2,
    ],
    ['an unreachable host, before the run', ['join', 'gondor', HOST, '-o', 'json'], 1],
  ])('on %s', (_what, args, exitCode) => {
    const run = kubefed(args);
    expect(run.status).toBe(exitCode);
    const report = JSON.parse(run.stdout) as { failed: boolean; 'exit-code': number; errors: string[] };
    expect(report).toMatchObject({ failed: true, 'exit-code': exitCode });
    expect(report.errors).toHaveLength(1);
  });

  test('on a run that stops on an error: its report, failed', () => {
    const run = kubefed(['init', 'f', HOST, ...INIT, '-o', 'json']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { failed: boolean; changed: boolean; errors: string[] };
    expect(report).toMatchObject({ federation: 'f', failed: true, changed: false });
    expect(report.errors[0]).toContain('host cluster (context "c")');
  });

  test('with a credential in an error, redacted as on stderr', () => {
    const leaky = kubeconfigFor('https://127.0.0.1:1');
    writeFileSync(leaky, readFileSync(leaky, 'utf8').replace('t0k3n', '"secret-token-value\\nsecond-line"'));
    const run = kubefed(['check', 'f', HOST, ...INIT, '-o', 'json'], { server: leaky });
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ failed: true });
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/secret-token-value|second-line/);
  });
});

describe(`on a Node.js older than ${MINIMUM_NODE}`, () => {
  const older = (version: string) => {
    const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
    const [wantMajor, wantMinor] = MINIMUM_NODE.split('.').map(Number);
    return major < wantMajor || (major === wantMajor && minor < wantMinor);
  };
  // The machine's own old Node (Debian's, say) where there is one; else this Node, told it is older.
  const systemNodes = ['/usr/bin/node', '/usr/local/bin/node'].filter((node) => {
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' });
    return version.status === 0 && older(version.stdout.trim());
  });
  const pretend = (version: string) => [
    '--import',
    `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})`,
  ];
  const runs = [
    ...systemNodes.map((node) => ({ node, nodeArgs: [] as string[] })),
    { node: process.execPath, nodeArgs: pretend('22.18.9') },
  ];

  test.each(runs)('$node $nodeArgs: one line and exit 2, before anything is loaded', ({ node, nodeArgs }) => {
    const line = new RegExp(`^kubefed: (needs Node\\.js ${MINIMUM_NODE} or newer, this is [\\d.]+; .*)\n$`);
    for (const args of [['version'], ['--bogus']]) {
      const run = kubefed(args, { node, nodeArgs });
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(line);
    }
    const json = kubefed(['join', 'gondor', HOST, '-o', 'json'], { node, nodeArgs });
    expect(json.status).toBe(2);
    const message = line.exec(json.stderr)?.[1];
    expect(JSON.parse(json.stdout)).toEqual({ failed: true, 'exit-code': 2, message, errors: [message] });
  });

  test('the version gate is the whole of dist/cli.js: small, the program in a bundle of its own', () => {
    expect(statSync('dist/cli.js').size).toBeLessThan(16 * 1024);
    expect(statSync('dist/cli-main.js').size).toBeGreaterThan(1024 * 1024);
    expect(kubefed(['version'], { nodeArgs: pretend(`${MINIMUM_NODE}.0`) }).stdout).toBe(`kubefed ${VERSION}\n`);
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines;
    expect(engines.node).toBe(`>=${MINIMUM_NODE}`);
  });
});
