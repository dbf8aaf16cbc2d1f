// The main job on this machine: starts a local host cluster and two members with testenv,
// then runs (init, and join of both members with the guide's naming overrides) the built action on them as a GitHub runner would (INPUT_* variables, output and
// summary files), twice: the first run converges, the second must change nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { up } from '../testenv/index.mjs';

const work = mkdtempSync(join(tmpdir(), 'kubefed-demo-'));
const info = up({ clusters: 'rivendell,gondor=gondor_needs-no_king,noldor', state: join(work, 'testenv') });
const inputs = {
  kubeconfig: readFileSync(info.kubeconfig, 'utf8'),
  'federation-name': 'fellowship',
  'host-cluster-context': 'rivendell',
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
  'dns-provider-config': '[Global]\netcd-endpoints = http://etcd-cluster.ns:2379\nzones = example.com.',
  clusters: '- name: gondor\n  context: gondor_needs-no_king\n- name: noldor\n  secret-name: 11kingdom\n',
  prune: 'true',
};

for (const attempt of ['first run', 'second run (must change nothing)']) {
  console.log(`\n=== ${attempt}`);
  const files = Object.fromEntries(['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'].map((k) => [k, join(work, `${k}.${Date.now()}`)]));
  Object.values(files).forEach((f) => writeFileSync(f, ''));
  const env = { PATH: process.env.PATH, RUNNER_TEMP: work, ...files };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const run = spawnSync(process.execPath, ['dist/index.js'], { env, encoding: 'utf8' });
  console.log(run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'));
  console.log(readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'));
  if (run.status !== 0) process.exit(run.status ?? 1);
}
console.log(`The clusters keep running (kubeconfig: ${info.kubeconfig}).`);
console.log(`Stop them with: npm run testenv -- down --state ${join(work, 'testenv')}`);
