// The CLI's fatal-error path goes through the same redaction as its progress: a credential the
// client library quotes in an error (here a token with a line break, an invalid header) is
// never printed. A command that would write where the user asked for a dry run is refused.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as yaml from 'js-yaml';

/**
 * Runs the built CLI with a kubeconfig whose one context, c, names an address nothing answers
 * at (reaching for it fails with exit 1) and authenticates with `token`.
 */
function kubefed(token: string, args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'kubefed-fatal-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    yaml.dump({
      apiVersion: 'v1',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    }),
  );
  return spawnSync(process.execPath, [resolve('dist/cli.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', KUBECONFIG: kubeconfig },
    timeout: 60_000,
  });
}

describe('kubefed fatal errors', () => {
  test('do not print a rejected token', () => {
    const run = kubefed('secret-token-value\nsecond-line-secret', [
      'check',
      'fed',
      '--host-cluster-context=c',
      '--dns-provider=coredns',
      '--dns-zone-name=example.com.',
    ]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^kubefed: host cluster \(context "c"\): /m);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/secret-token-value|second-line-secret/);
  });

  test('destroy --dry-run is refused before anything is read: it would otherwise destroy', () => {
    const run = kubefed('t0k3n', ['destroy', 'fed', '--host-cluster-context=c', '--dry-run']);
    expect(run.stderr).toContain('--dry-run: destroy cannot be dry-run');
    expect(run.stderr).toContain('nothing was changed');
    expect(run.status).toBe(2);
  });
});
