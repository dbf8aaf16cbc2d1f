// The main job on this machine: starts a local host cluster and two members with testenv,
// then runs (init, and join of both members with the guide's naming overrides) the built
// action on them as a GitHub runner would (INPUT_* variables, output and summary files),
// twice: the first run converges, the second must change nothing. Then it federates a
// namespace and a Deployment through the federation API and shows them arriving in both
// members, propagated by the real KubeFed controller manager the action deployed, and a
// federated Service whose name resolves, through external-dns and CoreDNS, to both members'
// load-balancer addresses.
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { Resolver } from 'node:dns/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { up } from '../testenv/index.mjs';
import { runStep, shown } from './runner.mjs';

const work = mkdtempSync(join(tmpdir(), 'kubefed-demo-'));
const info = up({ clusters: 'rivendell,gondor=gondor_needs-no_king,noldor', state: join(work, 'testenv') });
const inputs = {
  kubeconfig: readFileSync(info.kubeconfig, 'utf8'),
  'federation-name': 'fellowship',
  'host-cluster-context': 'rivendell',
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
  // The coredns provider: testenv's etcd, served by the CoreDNS testenv runs for the zone.
  'dns-provider-config': `[Global]\netcd-endpoints = ${info.etcd}\nzones = example.com.\ncoredns-endpoints = ${info.dns}\n`,
  clusters: '- name: gondor\n  context: gondor_needs-no_king\n- name: noldor\n  secret-name: 11kingdom\n',
  prune: 'true',
};

let kubeconfigOutput;
for (const attempt of ['first run', 'second run (must change nothing)']) {
  console.log(`\n=== ${attempt}`);
  const run = runStep(inputs);
  console.log(shown(run.stdout));
  console.log(run.summary());
  if (run.status !== 0) process.exit(run.status ?? 1);
  kubeconfigOutput = run.outputs().kubeconfig;
}

console.log('\n=== federating a namespace and a Deployment through the federation API');
const client = (path, context) => {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  if (context) kc.setCurrentContext(context);
  return KubernetesObjectApi.makeApiClient(kc);
};
const federation = client(kubeconfigOutput);
const placement = { clusters: [{ name: 'gondor' }, { name: 'noldor' }] };
const objects = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shire' } },
  {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedNamespace',
    metadata: { name: 'shire', namespace: 'shire' },
    spec: { placement },
  },
  {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedDeployment',
    metadata: { name: 'hobbits', namespace: 'shire' },
    spec: {
      template: {
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'hobbits' } },
          template: {
            metadata: { labels: { app: 'hobbits' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      },
      placement,
      overrides: [{ clusterName: 'noldor', clusterOverrides: [{ path: '/spec/replicas', value: 2 }] }],
    },
  },
];
for (const object of objects) {
  await federation.patch(object, undefined, undefined, 'kubefed-demo', true, 'application/apply-patch+yaml');
  console.log(
    `applied ${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name} to the federation API`,
  );
}
for (const [member, context] of [
  ['gondor', 'gondor_needs-no_king'],
  ['noldor', 'noldor'],
]) {
  const api = client(info.kubeconfig, context);
  for (let waited = 0; ; waited += 500) {
    const found = await api
      .read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'hobbits', namespace: 'shire' } })
      .catch(() => undefined);
    if (found) {
      console.log(
        `${member}: Deployment shire/hobbits, replicas ${found.spec.replicas}, managed by KubeFed (${found.metadata.labels?.['kubefed.io/managed'] === 'true'})`,
      );
      break;
    }
    if (waited > 60_000) throw new Error(`${member}: Deployment shire/hobbits did not arrive in 60s`);
    await sleep(500);
  }
}
console.log('\n=== a federated Service, resolved through external-dns and CoreDNS');
await federation.patch(
  {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedService',
    metadata: { name: 'hobbits', namespace: 'shire' },
    spec: {
      template: {
        spec: { type: 'LoadBalancer', selector: { app: 'hobbits' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
      placement,
    },
  },
  undefined,
  undefined,
  'kubefed-demo',
  true,
  'application/apply-patch+yaml',
);
const resolver = new Resolver({ timeout: 1500, tries: 1 });
resolver.setServers([info.dns]);
const name = 'hobbits.shire.fellowship.svc.example.com';
for (let waited = 0; ; waited += 1000) {
  const answer = await resolver.resolve4(name).catch((err) => err.code);
  if (Array.isArray(answer) && answer.length === 2) {
    console.log(`${name} → ${answer.sort().join(', ')} (CoreDNS at ${info.dns})`);
    break;
  }
  if (waited > 90_000) throw new Error(`${name} did not resolve to both members in 90s (last: ${answer})`);
  await sleep(1000);
}
console.log(`The clusters keep running (kubeconfig: ${info.kubeconfig}).`);
console.log(`Stop them with: npm run testenv -- down --state ${join(work, 'testenv')}`);
