// A user's shell for the CLI's end-to-end tests: `kubefed` on PATH as the built dist/cli.js, a copy
// of the test clusters' kubeconfig as theirs, and in $HOME the guide's coredns-provider.conf,
// pointing at testenv's DNS etcd (external-dns must reach one, or it crash-loops and health fails).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testenv } from './testenv.js';

export interface ShellRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The `key=value` lines of stdout: the CLI's outputs. */
  outputs: Record<string, string>;
}

/** A fresh $HOME (named after `name`), to be set up before the first command (in beforeAll). */
export function userShell(name: string, shell: 'sh' | 'bash' = 'sh') {
  const home = mkdtempSync(join(tmpdir(), `kubefed-${name}-`));
  const kubeconfig = join(home, '.kube', 'config');
  const env = (extra: Record<string, string> = {}) => ({
    PATH: `${join(home, 'bin')}:${process.env.PATH}`,
    HOME: home,
    KUBECONFIG: kubeconfig,
    KUBEFED_TIMEOUT: '90s',
    ...extra,
  });

  const setUp = () => {
    mkdirSync(join(home, 'bin'));
    writeFileSync(
      join(home, 'bin', 'kubefed'),
      `#!/bin/sh\nexec '${process.execPath}' '${resolve('dist/cli.js')}' "$@"\n`,
      {
        mode: 0o755,
      },
    );
    mkdirSync(join(home, '.kube'));
    copyFileSync(testenv().kubeconfig, kubeconfig);
    writeFileSync(
      join(home, 'coredns-provider.conf'),
      `[Global]\netcd-endpoints = ${testenv().etcd}\nzones = example.com.\n`,
    );
  };

  /** Runs one command line as a user would type it, in $HOME. */
  const sh = (line: string, extra: Record<string, string> = {}): ShellRun => {
    const result = spawnSync(shell, ['-c', line], { encoding: 'utf8', timeout: 170_000, env: env(extra), cwd: home });
    const outputs = Object.fromEntries(
      result.stdout
        .split('\n')
        .filter((l) => /^[a-z-]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs };
  };

  /** The same in the background (`exec`-ed, so a signal reaches the command itself). */
  const start = (line: string, extra: Record<string, string> = {}) =>
    spawn(shell, ['-c', `exec ${line}`], { env: env(extra), cwd: home });

  return { home, kubeconfig, env, setUp, sh, start };
}
