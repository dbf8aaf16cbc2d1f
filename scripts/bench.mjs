// `npm run bench`: the action's speed and weight against local testenv clusters, printed as a
// table. Figures, not assertions: the targets are printed beside them.
//   - a first converge and a no-op re-run for 1, 5 and 20 member clusters;
//   - the write requests of a no-op re-run (must be 0) and the API requests per member, both
//     from the API servers' audit logs (the action's own identities only);
//   - start-up: from launching dist/index.js to its first connection to a cluster;
//   - the bundle's size and the peak memory (max RSS) of a run;
//   - propagation latency: a FederatedConfigMap created in the federation API → present in
//     every member, put there by the real KubeFed controller manager (median of 5).
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { down, up } from '../testenv/index.mjs';

const SIZES = (process.env.BENCH_MEMBERS ?? '1,5,20').split(',').map(Number);
const MEMBERS = Math.max(...SIZES);
const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const work = mkdtempSync(join(tmpdir(), 'kubefed-bench-'));
const state = join(work, 'testenv');
const members = Array.from({ length: MEMBERS }, (_, i) => `m${String(i + 1).padStart(2, '0')}`);

/** Runs the action once as a runner would; returns its duration, exit status and max RSS. */
function runAction(inputs) {
  const files = Object.fromEntries(['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'].map((k) => [k, join(work, `${k}.${Date.now()}`)]));
  Object.values(files).forEach((f) => writeFileSync(f, ''));
  const env = { PATH: process.env.PATH, RUNNER_TEMP: work, ...files };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  // The peak memory is read inside the child, as it exits.
  const probe = `process.on('exit', () => process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + '\\n')); await import(${JSON.stringify(join(process.cwd(), 'dist/index.js'))});`;
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const rssKiB = Number(/MAXRSS (\d+)/.exec(run.stderr)?.[1] ?? 0);
  if (run.status !== 0) throw new Error(`action failed:\n${run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).slice(-20).join('\n')}`);
  const kubeconfigOutput = /^kubeconfig<<(.+)\n(.*)\n\1$/m.exec(readFileSync(files.GITHUB_OUTPUT, 'utf8'))?.[2];
  return { ms, rssKiB, kubeconfigOutput };
}

function client(path, context) {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (context) kc.setCurrentContext(context);
  return KubernetesObjectApi.makeApiClient(kc);
}

const exists = (api, ref) => api.read(ref).then(() => true, () => false);

/** Polls until `ref` exists in every member; milliseconds taken. */
async function untilEverywhere(apis, ref, start) {
  for (;;) {
    const found = await Promise.all(apis.map((api) => exists(api, ref)));
    if (found.every(Boolean)) return Number(process.hrtime.bigint() - start) / 1e6;
    if (Number(process.hrtime.bigint() - start) > 120e9) throw new Error(`${ref.kind} ${ref.metadata.name} did not reach every member in 120 s`);
    await sleep(50);
  }
}

/** Median milliseconds from creating a FederatedConfigMap to its presence in every member. */
async function propagationMs(federationKubeconfig, kubeconfigPath, memberNames) {
  const federation = client(federationKubeconfig);
  const apis = memberNames.map((m) => client(kubeconfigPath, m));
  const placement = { clusters: memberNames.map((name) => ({ name })) };
  const ns = 'bench-propagation';
  await federation.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await federation.create({ apiVersion: 'types.kubefed.io/v1beta1', kind: 'FederatedNamespace', metadata: { name: ns, namespace: ns }, spec: { placement } });
  await untilEverywhere(apis, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, process.hrtime.bigint());
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const metadata = { name: `latency-${i}`, namespace: ns };
    const start = process.hrtime.bigint();
    await federation.create({ apiVersion: 'types.kubefed.io/v1beta1', kind: 'FederatedConfigMap', metadata, spec: { template: { data: { i: String(i) } }, placement } });
    samples.push(await untilEverywhere(apis, { apiVersion: 'v1', kind: 'ConfigMap', metadata }, start));
  }
  return samples.sort((a, b) => a - b)[2];
}

/** Requests in the audit logs since `mark`, by cluster: all of the action's, and its writes. */
function auditSince(auditDir, mark) {
  const counts = {};
  for (const file of readdirSync(auditDir).filter((f) => f.endsWith('.log'))) {
    const text = readFileSync(join(auditDir, file), 'utf8').slice(mark[file] ?? 0);
    const events = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    const mine = events.filter((e) => e.stage === 'ResponseComplete' && ['kubernetes-admin', 'admin'].includes(e.user.username) && e.objectRef?.subresource !== 'status');
    counts[file.replace(/\.log$/, '')] = { requests: mine.length, writes: mine.filter((e) => WRITES.has(e.verb)).length };
  }
  return counts;
}
const auditMark = (auditDir) => Object.fromEntries(readdirSync(auditDir).map((f) => [f, statSync(join(auditDir, f)).size]));

/** Milliseconds from launching dist/index.js to its first TCP connection to a (fake) cluster address. */
async function startupMs() {
  const server = createServer((socket) => socket.destroy());
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:${port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: bench-token\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n`;
  const env = { PATH: process.env.PATH, RUNNER_TEMP: work, GITHUB_OUTPUT: join(work, 'startup-out') };
  writeFileSync(env.GITHUB_OUTPUT, '');
  Object.assign(env, { INPUT_KUBECONFIG: kubeconfig, 'INPUT_FEDERATION-NAME': 'startup', 'INPUT_HOST-CLUSTER-CONTEXT': 'c', 'INPUT_DNS-PROVIDER': 'coredns', 'INPUT_DNS-ZONE-NAME': 'example.com.' });
  const start = process.hrtime.bigint();
  const connected = new Promise((r) => server.once('connection', () => r(Number(process.hrtime.bigint() - start) / 1e6)));
  const child = spawn(process.execPath, ['dist/index.js'], { env, stdio: 'ignore' });
  const ms = await connected;
  child.kill();
  server.close();
  return ms;
}

const rows = [];
const note = (measure, value, target = '') => rows.push([measure, value, target]);

const startups = [];
for (let i = 0; i < 5; i++) startups.push(await startupMs());
startups.sort((a, b) => a - b);
note('start-up: launch → first request (median of 5)', `${startups[2].toFixed(0)} ms`, '< 400 ms');
note('bundle dist/index.js', `${(statSync('dist/index.js').size / 1024 / 1024).toFixed(2)} MiB`);

process.stderr.write(`bench: starting a host and ${MEMBERS} member clusters (testenv)...\n`);
const t0 = Date.now();
const info = up({ clusters: ['host', ...members].join(','), state });
process.stderr.write(`bench: clusters ready in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
const kubeconfig = readFileSync(info.kubeconfig, 'utf8');
let peak = 0;
const noops = [];
let latest;
try {
  for (const n of SIZES) {
    const inputs = {
      kubeconfig,
      'federation-name': `bench${n}`,
      'federation-system-namespace': `bench-${n}`,
      'host-cluster-context': 'host',
      'dns-provider': 'coredns',
      'dns-zone-name': 'example.com.',
      clusters: members.slice(0, n).join('\n'),
      timeout: '3m',
    };
    const first = runAction(inputs);
    const mark = auditMark(info.auditDir);
    const noop = runAction(inputs);
    const audit = auditSince(info.auditDir, mark);
    const memberRequests = members.slice(0, n).reduce((sum, m) => sum + (audit[m]?.requests ?? 0), 0);
    const writes = Object.values(audit).reduce((sum, c) => sum + c.writes, 0);
    const all = Object.values(audit).reduce((sum, c) => sum + c.requests, 0);
    peak = Math.max(peak, first.rssKiB, noop.rssKiB);
    noops.push([n, noop.ms]);
    note(`${n} member(s): first converge`, `${(first.ms / 1000).toFixed(2)} s`);
    note(`${n} member(s): no-op re-run`, `${(noop.ms / 1000).toFixed(2)} s`, n === 20 ? '< 3 s' : '');
    note(`${n} member(s): no-op writes`, String(writes), '0');
    note(`${n} member(s): no-op requests per member (all servers: ${all})`, (memberRequests / n).toFixed(1));
    latest = { n, kubeconfigOutput: first.kubeconfigOutput };
  }
  const latency = await propagationMs(latest.kubeconfigOutput, info.kubeconfig, members.slice(0, latest.n));
  note(`${latest.n} member(s): propagation, FederatedConfigMap → every member (median of 5)`, `${(latency / 1000).toFixed(2)} s`);
} finally {
  down({ state });
}
if (noops.length > 1) {
  const [[n1, t1], [n2, t2]] = [noops[0], noops[noops.length - 1]];
  note(`no-op growth ${n1} → ${n2} members (time ratio / member ratio)`, ((t2 / t1) / (n2 / n1)).toFixed(2), '≤ 1 (linear or better)');
}
note('peak memory of a run (max RSS)', `${(peak / 1024).toFixed(0)} MiB`);

const widths = [0, 1, 2].map((i) => Math.max(...[['measure', 'value', 'target'], ...rows].map((r) => r[i].length)));
const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log([line(['measure', 'value', 'target']), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
