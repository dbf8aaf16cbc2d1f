// The federation federates: after the built action runs, the real KubeFed v0.10.0 controller
// manager and webhook (run by the real kubelet of testenv's nodes from the Deployments the action wrote)
// propagate what is created in the federation API to the members, and KubeFed's own verdict
// on each member gates the health check.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { createServer, connect, Server } from 'node:net';
import { ActionRun, runAction, runActionAsync } from './helpers/action.js';
import {
  auditMark,
  clientFor,
  eventually,
  extraClusters,
  get,
  kubeconfigText,
  objectClient,
  testenv,
} from './helpers/testenv.js';

const NS = 'fed-kubefed';
const base = {
  'federation-name': 'rohan',
  'host-cluster-context': 'rivendell',
  'federation-system-namespace': NS,
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
  // testenv's DNS etcd: external-dns must reach one, or it crash-loops and DNS is not available.
  'dns-provider-config': `[Global]\netcd-endpoints = ${testenv().etcd}\nzones = example.com.`,
  timeout: '120s',
};
const GONDOR = '- name: gondor\n  context: gondor_needs-no_king\n';
const NOLDOR = '- name: noldor\n';
const inputs = (clusters: string, extra: Record<string, string> = {}) => ({
  kubeconfig: kubeconfigText(),
  ...base,
  clusters,
  ...extra,
});

const members = { gondor: () => clientFor('gondor_needs-no_king'), noldor: () => clientFor('noldor') };
type Member = keyof typeof members;

const TYPES = 'types.kubefed.io/v1beta1';
const placement = (...clusters: Member[]) => ({ clusters: clusters.map((name) => ({ name })) });

describe('KubeFed propagates through the federation the action made', () => {
  let first: ActionRun;
  let federation: KubernetesObjectApi;
  const inMember = (member: Member, apiVersion: string, kind: string, name: string, namespace?: string) =>
    get(members[member](), apiVersion, kind, name, namespace);

  beforeAll(() => {
    first = runAction(inputs(GONDOR + NOLDOR));
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(first.outputs.kubeconfig, 'utf8'));
    federation = objectClient(kc);
  });

  afterAll(() => {
    first.post();
    runAction({ ...inputs(GONDOR), mode: 'destroy' });
  });

  test('the control plane converges with the real KubeFed, and each member is Ready by its own verdict', async () => {
    expect(first.log).not.toMatch(/::error::/);
    expect(first.status).toBe(0);
    expect(first.outputs.healthy).toBe('true');
    expect(JSON.parse(first.outputs['joined-clusters'])).toEqual(['gondor', 'noldor']);
    for (const name of ['gondor', 'noldor']) {
      const kfc = await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', name, NS);
      expect(kfc?.status?.conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'ClusterReady' })]),
      );
    }
  });

  test('a FederatedNamespace, FederatedConfigMap and FederatedDeployment (with per-cluster overrides) reach every member', async () => {
    await federation.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shire' } });
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedNamespace',
      metadata: { name: 'shire', namespace: 'shire' },
      spec: { placement: placement('gondor', 'noldor') },
    } as KubernetesObject);
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'ring', namespace: 'shire' },
      spec: {
        template: { data: { bearer: 'frodo' } },
        placement: placement('gondor', 'noldor'),
        overrides: [{ clusterName: 'gondor', clusterOverrides: [{ path: '/data/bearer', value: 'sam' }] }],
      },
    } as KubernetesObject);
    await federation.create({
      apiVersion: TYPES,
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
        placement: placement('gondor', 'noldor'),
        overrides: [{ clusterName: 'noldor', clusterOverrides: [{ path: '/spec/replicas', value: 3 }] }],
      },
    } as KubernetesObject);

    const ring = await eventually(
      async () => ({
        gondor: (await inMember('gondor', 'v1', 'ConfigMap', 'ring', 'shire'))?.data?.bearer,
        noldor: (await inMember('noldor', 'v1', 'ConfigMap', 'ring', 'shire'))?.data?.bearer,
      }),
      (r) => r.gondor !== undefined && r.noldor !== undefined,
    );
    expect(ring).toEqual({ gondor: 'sam', noldor: 'frodo' });
    const replicas = await eventually(
      async () => ({
        gondor: (await inMember('gondor', 'apps/v1', 'Deployment', 'hobbits', 'shire'))?.spec?.replicas,
        noldor: (await inMember('noldor', 'apps/v1', 'Deployment', 'hobbits', 'shire'))?.spec?.replicas,
      }),
      (r) => r.gondor !== undefined && r.noldor !== undefined,
    );
    expect(replicas).toEqual({ gondor: 1, noldor: 3 });
    // Its image runs on no test node: it would never be delivered, and every later apply waits for delivery.
    await federation.delete({
      apiVersion: TYPES,
      kind: 'FederatedDeployment',
      metadata: { name: 'hobbits', namespace: 'shire' },
    });
  });

  test('a placement that leaves a member out removes the object there; deleting it removes it everywhere', async () => {
    const ring = await get(federation, TYPES, 'FederatedConfigMap', 'ring', 'shire');
    await federation.replace({ ...ring, spec: { ...ring?.spec, placement: placement('noldor') } } as KubernetesObject);
    await eventually(
      () => inMember('gondor', 'v1', 'ConfigMap', 'ring', 'shire'),
      (cm) => cm === undefined,
    );
    expect(await inMember('noldor', 'v1', 'ConfigMap', 'ring', 'shire')).toBeDefined();

    await federation.delete({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'ring', namespace: 'shire' },
    });
    await eventually(
      () => inMember('noldor', 'v1', 'ConfigMap', 'ring', 'shire'),
      (cm) => cm === undefined,
    );
    // The federated object itself is gone once KubeFed has removed what it propagated.
    await eventually(
      () => get(federation, TYPES, 'FederatedConfigMap', 'ring', 'shire'),
      (o) => o === undefined,
    );
  });

  test('a re-run sends no write to any server', () => {
    const mark = auditMark();
    const again = runAction(inputs(GONDOR + NOLDOR));
    expect(again.status).toBe(0);
    expect(again.outputs.changed).toBe('false');
    expect(mark()).toEqual({ total: 0, byLog: {} });
  });

  test('a member whose context skips TLS verification is warned of in the log and its summary row', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigText());
    const noldor = kc.clusters.find((c) => c.name === 'noldor');
    const insecure = {
      ...kc,
      clusters: kc.clusters.map((c) => (c === noldor ? { ...c, caData: undefined, skipTLSVerify: true } : c)),
    };
    const relaxed = new KubeConfig();
    relaxed.loadFromOptions(insecure);
    const run = runAction({ ...inputs(GONDOR + NOLDOR), kubeconfig: relaxed.exportConfig() });
    expect(run.status).toBe(0);
    expect(run.log).toContain(
      '::warning::[noldor] its kubeconfig context skips TLS verification (insecure-skip-tls-verify)',
    );
    expect(run.summary).toMatch(/\| noldor \| https:\/\/172\.30\.\d+\.1:\d+ ⚠️ TLS not verified \|/);
    expect(
      (await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'noldor', NS))?.spec?.disabledTLSValidations,
    ).toEqual(['*']);
    // Back to verified TLS.
    expect(runAction(inputs(GONDOR + NOLDOR)).status).toBe(0);
    expect(
      (await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'noldor', NS))?.spec?.disabledTLSValidations,
    ).toBeUndefined();
  });

  test('a member the runner reaches at another address: the KubeFedCluster records its endpoint, the action probes the kubeconfig\u2019s', async () => {
    const noldorServer = testenv().clusters.find((c) => c.name === 'noldor')?.server as string;
    // The runner's way to noldor, on a port below 30000: KubeFed's pods cannot reach it there.
    const proxy = await proxyBelow30000(Number(new URL(noldorServer).port));
    try {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfigText());
      const cluster = kc.clusters.find((c) => c.name === 'noldor');
      const context = kc.contexts.find((c) => c.name === 'noldor');
      const withBree = new KubeConfig();
      withBree.loadFromOptions({
        ...kc,
        clusters: [...kc.clusters, { ...cluster, name: 'bree', server: `https://127.0.0.1:${proxy.port}` }],
        contexts: [...kc.contexts, { ...context, name: 'bree', cluster: 'bree' }],
      });
      const kubeconfig = withBree.exportConfig();
      const run = await runActionAsync({
        ...inputs(`${GONDOR}${NOLDOR}- name: bree\n  endpoint: ${noldorServer}\n`),
        kubeconfig,
      });
      expect(run.status).toBe(0);
      expect(run.log).toContain(`cluster "bree": probed at https://127.0.0.1:${proxy.port}, the kubeconfig's address`);
      const kfc = await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'bree', NS);
      expect(kfc?.spec.apiEndpoint).toBe(noldorServer);
      expect(kfc?.status?.conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
      );
      const pruned = await runActionAsync({ ...inputs(GONDOR + NOLDOR), kubeconfig, prune: 'true' });
      expect(JSON.parse(pruned.outputs['unjoined-clusters'])).toEqual(['bree']);
    } finally {
      proxy.server.close();
    }
  });

  test("KubeFed's admission webhook refuses an invalid KubeFedCluster", async () => {
    const invalid = {
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'KubeFedCluster',
      metadata: { name: 'isengard', namespace: NS },
      spec: { apiEndpoint: 'ftp://isengard:99999', secretRef: { name: 'isengard' } },
    };
    await expect(federation.create(invalid as KubernetesObject)).rejects.toThrow(
      /denied the request.*(Unsupported value: "ftp"|must be between 1 and 65535)/s,
    );
  });

  test('a controller manager flag KubeFed does not have is refused before anything is written', () => {
    const mark = auditMark();
    const run = runAction(inputs(GONDOR + NOLDOR, { 'controllermanager-arg-overrides': '--federation-name=rohan' }));
    expect(run.status).toBe(1);
    expect(run.log).toContain(
      'controllermanager-arg-overrides: --federation-name is not a flag of the KubeFed controller manager',
    );
    expect(mark().total).toBe(0);
  });

  test("a stopped member fails mode: check with KubeFed's Offline verdict, and the others keep receiving objects", async () => {
    const mordor = extraClusters('mordor');
    try {
      const kubeconfig = `${kubeconfigText()}\n---\n${mordor.kubeconfig}`;
      const joined = runAction({ ...inputs(GONDOR + NOLDOR + '- name: mordor\n'), kubeconfig });
      expect(joined.status).toBe(0);
      mordor.stop();
      // What the check says of each member (the lines that name one), until KubeFed has spoken.
      const check = await eventually(
        () => {
          const run = runAction({ ...inputs(GONDOR + NOLDOR + '- name: mordor\n'), kubeconfig, mode: 'check' });
          return {
            status: run.status,
            said: run.shown
              .split('\n')
              .filter((l) => /cluster "(mordor|gondor|noldor)"/.test(l))
              .join('\n'),
          };
        },
        (run) => /KubeFed reports it Offline/.test(run.said),
        120_000,
        2000,
      );
      expect(check.status).toBe(1);
      expect(check.said).toMatch(
        /cluster "mordor": KubeFed reports it Offline \(ClusterNotReachable: cluster is not reachable/,
      );
      expect(check.said).not.toMatch(/cluster "(gondor|noldor)": KubeFed/);

      await federation.create({
        apiVersion: TYPES,
        kind: 'FederatedConfigMap',
        metadata: { name: 'palantir', namespace: 'shire' },
        spec: { template: { data: { seen: 'yes' } }, placement: placement('gondor', 'noldor') },
      } as KubernetesObject);
      const seen = await eventually(
        async () => [
          await inMember('gondor', 'v1', 'ConfigMap', 'palantir', 'shire'),
          await inMember('noldor', 'v1', 'ConfigMap', 'palantir', 'shire'),
        ],
        (both) => both.every(Boolean),
      );
      expect(seen.map((cm) => cm?.data?.seen)).toEqual(['yes', 'yes']);
    } finally {
      mordor.stop();
    }
    // mordor cannot be reached to unjoin it: only with force does prune drop it from the federation
    // (saying what stays behind); without, it stays a member and the step fails.
    expect(runAction({ ...inputs(GONDOR + NOLDOR), prune: 'true' }).status).toBe(1);
    expect(runAction({ ...inputs(GONDOR + NOLDOR), prune: 'true', force: 'true' }).status).toBe(0);
  });

  test('a pruned member receives nothing more', async () => {
    const pruned = runAction({ ...inputs(GONDOR), prune: 'true' });
    expect(pruned.status).toBe(0);
    expect(JSON.parse(pruned.outputs['unjoined-clusters'])).toEqual(['noldor']);
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'lembas', namespace: 'shire' },
      spec: { template: { data: { bread: 'elven' } }, placement: placement('gondor', 'noldor') },
    } as KubernetesObject);
    await eventually(() => inMember('gondor', 'v1', 'ConfigMap', 'lembas', 'shire'), Boolean);
    // KubeFed syncs all placed members in one pass: gondor has it, so noldor would have had it by now.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await inMember('noldor', 'v1', 'ConfigMap', 'lembas', 'shire')).toBeUndefined();
  });

  test('destroy keeps the control plane while a member cannot be unjoined, and a re-run finishes', async () => {
    const gondorServer = testenv().clusters.find((c) => c.name === 'gondor')?.server as string;
    const unreachable = kubeconfigText().replace(gondorServer, 'https://127.0.0.1:1');
    const stuck = runAction({ ...inputs(GONDOR), kubeconfig: unreachable, mode: 'destroy' });
    expect(stuck.status).toBe(1);
    expect(stuck.log).toContain('the control plane is kept: 1 member(s) could not be unjoined');
    expect(await get(clientFor('rivendell'), 'v1', 'Namespace', NS)).toBeDefined();
    expect(await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'gondor', NS)).toBeDefined();
    expect(await get(members.gondor(), 'v1', 'ServiceAccount', 'kubefed.rohan.gondor', 'kube-system')).toBeDefined();

    const finished = runAction({ ...inputs(GONDOR), mode: 'destroy' });
    expect(finished.status).toBe(0);
    expect(JSON.parse(finished.outputs['unjoined-clusters'])).toEqual(['gondor']);
    expect(await get(members.gondor(), 'v1', 'ServiceAccount', 'kubefed.rohan.gondor', 'kube-system')).toBeUndefined();
    expect(await get(clientFor('rivendell'), 'v1', 'Namespace', NS)).toBeUndefined();
  });
});

/** A TCP proxy to 127.0.0.1:`upstreamPort` on a free port below 30000: on loopback, where no pod reaches it. */
async function proxyBelow30000(upstreamPort: number): Promise<{ server: Server; port: number }> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const server = createServer((client) => {
      const upstream = connect(upstreamPort, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      for (const s of [client, upstream]) s.on('error', () => (s === client ? upstream : client).destroy());
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) return { server, port };
  }
}
