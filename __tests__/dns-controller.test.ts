// The DNS controller's loop, run in this process: against a real API server (a testenv cluster
// of its own, with the CRDs the federation API has, and the objects KubeFed would write), and
// against servers that are down or never answer (on 127.0.0.1).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CustomObjectsApi, KubeConfig, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { once } from 'node:events';
import { AddressInfo, Socket, createServer } from 'node:net';
import { runDnsController } from '../src/entrypoints/dns-controller.js';
import { identities } from '../src/desired/credentials.js';
import { dnsEndpointCrd, dnsRights } from '../src/desired/dns-objects.js';
import { dnsStatusRights } from '../src/desired/dns-status.js';
import { KNOWN_TYPES, federatedCrd } from '../src/desired/federated-types.js';
import { kubeFedCrds } from '../src/desired/kubefed-crds.js';
import { KubeObject, ownedBy } from '../src/desired/objects.js';
import type { Spec } from '../src/inputs/spec.js';
import { memoryLog } from '../src/report/log.js';
import { eventually, extraClusters, get } from './helpers/testenv.js';

const FED = 'arnor';
const KUBEFED_NS = 'kube-federation-system';
const FAST = { retryMs: 200, maxRetryMs: 1000, quietMs: 50, maxDelayMs: 200, requestTimeoutMs: 5000 };

function unreachable(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

const start = (kubeconfig: KubeConfig, extra: object = {}) => {
  const log = memoryLog();
  const stop = new AbortController();
  const options = { kubeconfig, federation: FED, namespace: KUBEFED_NS, zone: 'example.com.', log };
  const done = runDnsController({ ...options, ...FAST, ...extra }, stop.signal);
  return { log, stop, done };
};

describe('the DNS controller against a server that is down or never answers', () => {
  test('the API down: one warning per distinct failure, with back-off, not one per watch every 2 s', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    const run = start(unreachable(`https://127.0.0.1:${port}`), { retryMs: 20, maxRetryMs: 200 });
    // Four watches failing for 2 s at a 20-200 ms back-off are dozens of failures.
    await new Promise((r) => setTimeout(r, 2000));
    run.stop.abort();
    await run.done;
    const warnings = run.log.lines.filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: cannot watch \w+ in the federation API: .*ECONNREFUSED/),
    ]);
  });

  /** A server that accepts connections and never answers (not even TLS), for the length of `body`. */
  const withHungServer = async (body: (server: string, held: Socket[]) => Promise<void>) => {
    const held: Socket[] = [];
    const hung = createServer((socket) => held.push(socket));
    hung.listen(0, '127.0.0.1');
    await once(hung, 'listening');
    try {
      await body(`https://127.0.0.1:${(hung.address() as AddressInfo).port}`, held);
    } finally {
      held.forEach((s) => s.destroy());
      hung.close();
    }
  };

  test('a server that never answers: each request has a deadline', () =>
    withHungServer(async (server) => {
      const run = start(unreachable(server), { requestTimeoutMs: 300 });
      await eventually(
        () => run.log.lines,
        (lines) => lines.some((l) => /^warning: cannot watch .*no answer within 0\.3s/.test(l)),
        5000,
        100,
      );
      run.stop.abort();
      await run.done;
    }));

  test('SIGTERM during start-up, while every list still waits for its answer, stops it', () =>
    withHungServer(async (server, held) => {
      const run = start(unreachable(server), { requestTimeoutMs: 30_000 });
      // Its lists share one connection per server (observe/connections.ts): they wait on it.
      await eventually(
        () => held.length,
        (n) => n >= 1,
        5000,
        50,
      );
      await new Promise((r) => setTimeout(r, 200));
      run.stop.abort();
      const ended = await Promise.race([
        run.done.then(() => 'ended'),
        new Promise((r) => setTimeout(() => r('still running'), 3000)),
      ]);
      expect(ended).toBe('ended');
    }));
});

describe('the DNS controller against a real API server', () => {
  let env: ReturnType<typeof extraClusters>;
  let kubeconfig: KubeConfig;
  let client: KubernetesObjectApi;
  let raw: CustomObjectsApi;
  let run: ReturnType<typeof start>;
  const endpoint = (name: string) => get(client, 'externaldns.k8s.io/v1alpha1', 'DNSEndpoint', name, 'shop');
  const status = async () => (await get(client, 'v1', 'ConfigMap', `${FED}-dns-controller`, KUBEFED_NS))?.data;
  const create = (o: object) => client.create(o as KubernetesObject);

  beforeAll(async () => {
    env = extraClusters('fornost');
    kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(env.kubeconfigPath);
    client = KubernetesObjectApi.makeApiClient(kubeconfig);
    raw = kubeconfig.makeApiClient(CustomObjectsApi);
    const crds = [dnsEndpointCrd(), federatedCrd(KNOWN_TYPES.services), ...kubeFedCrds()];
    const crdApi = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
    for (const body of crds) await raw.createClusterCustomObject({ ...crdApi, body });
    for (const body of crds) {
      const spec = body.spec as { group: string; versions: { name: string }[]; names: { plural: string } };
      const request = { group: spec.group, version: spec.versions[0].name, plural: spec.names.plural };
      await eventually(
        () =>
          raw.listClusterCustomObject(request).then(
            () => true,
            () => false,
          ),
        Boolean,
        30_000,
        200,
      );
    }
    for (const name of ['shop', KUBEFED_NS]) await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    // The member, Ready, as KubeFed's cluster controller marks it.
    const member = { group: 'core.kubefed.io', version: 'v1beta1', plural: 'kubefedclusters', namespace: KUBEFED_NS };
    const cluster = (await raw.createNamespacedCustomObject({
      ...member,
      body: {
        apiVersion: 'core.kubefed.io/v1beta1',
        kind: 'KubeFedCluster',
        metadata: { name: 'lindon', namespace: KUBEFED_NS },
        spec: { apiEndpoint: 'https://10.0.0.9', secretRef: { name: 'lindon' } },
      },
    })) as KubeObject;
    await raw.replaceNamespacedCustomObjectStatus({
      ...member,
      name: 'lindon',
      body: { ...cluster, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    });
    // A same-named DNSEndpoint this controller does not own (no labels), for the Service "aaa",
    // and one it owns that no Service needs any more.
    await create({
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: { name: 'aaa', namespace: 'shop' },
      spec: { endpoints: [{ dnsName: 'someone.example.org', recordType: 'A', targets: ['192.0.2.1'] }] },
    });
    await create({
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: { name: 'gone', namespace: 'shop', labels: ownedBy(FED) },
      spec: { endpoints: [] },
    });
    // Two federated Services on the member, with the status KubeFed collects.
    for (const [name, ips] of [
      ['aaa', ['10.0.0.1']],
      ['web', ['10.0.0.2', '127.0.0.1']],
    ] as const) {
      const placement = { clusters: [{ name: 'lindon' }] };
      await create({
        apiVersion: 'types.kubefed.io/v1beta1',
        kind: 'FederatedService',
        metadata: { name, namespace: 'shop' },
        spec: { placement, template: { spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } },
      });
      await create({
        apiVersion: 'core.kubefed.io/v1alpha1',
        kind: 'FederatedServiceStatus',
        metadata: { name, namespace: 'shop' },
        clusterStatus: [{ clusterName: 'lindon', status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } }],
      });
    }
    // The controller runs as the DNS identity, with the rights the action gives it.
    const spec = { federationName: FED, namespace: KUBEFED_NS } as Spec;
    for (const o of [...dnsRights(spec), ...dnsStatusRights(FED, KUBEFED_NS)]) await create(o);
    const asDns = new KubeConfig();
    asDns.loadFromOptions({
      clusters: kubeconfig.getClusters(),
      users: kubeconfig.getUsers().map((u) => ({ ...u, impersonateUser: identities(FED).dns })),
      contexts: kubeconfig.getContexts(),
      currentContext: kubeconfig.getCurrentContext(),
    });
    run = start(asDns);
  });

  afterAll(async () => {
    run?.stop.abort();
    await run?.done;
    env?.stop();
  });

  test('a write refused (a same-named DNSEndpoint it does not own) stops neither later creates nor deletes, and is reported', async () => {
    const web = await eventually(
      () => endpoint('web'),
      (o) => Boolean(o),
      30_000,
      200,
    );
    expect(web?.metadata?.labels).toEqual(ownedBy(FED));
    expect(web?.spec.endpoints.map((r: { dnsName: string; targets: string[] }) => `${r.dnsName} ${r.targets}`)).toEqual(
      ['web.shop.arnor.svc.example.com 10.0.0.2', 'web.shop.arnor.svc.lindon.example.com 10.0.0.2'],
    );
    await eventually(
      () => endpoint('gone'),
      (o) => o === undefined,
      30_000,
      200,
    );
    // The other one is left as it is, and the refusal is retried and said, in the log and the status.
    const theirs = await endpoint('aaa');
    expect(theirs?.metadata?.labels).toBeUndefined();
    expect(theirs?.spec.endpoints[0].dnsName).toBe('someone.example.org');
    await eventually(
      () => run.log.lines,
      (lines) => lines.some((l) => /create DNSEndpoint shop\/aaa: HTTP 409.*\(attempt 2\); retrying in/.test(l)),
      30_000,
      200,
    );
    const data = await eventually(status, (d) => Boolean(d?.['failed-writes']), 30_000, 200);
    expect(data?.['failed-writes']).toMatch(/^shop\/aaa: federation API: create DNSEndpoint shop\/aaa: HTTP 409/);
    expect(data?.['left-out']).toBe('shop/web: member lindon: 127.0.0.1 left out: a loopback address\n');
    expect(run.log.lines).toContain(
      'warning: DNS records: shop/web: member lindon: 127.0.0.1 left out: a loopback address',
    );
  });

  test('once the other DNSEndpoint is gone, the retry creates its own and the failure leaves the status', async () => {
    await client.delete({
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: { name: 'aaa', namespace: 'shop' },
    });
    const ours = await eventually(
      () => endpoint('aaa'),
      (o) => Boolean(o?.metadata?.labels),
      30_000,
      200,
    );
    expect(ours?.spec.endpoints[0]).toMatchObject({ dnsName: 'aaa.shop.arnor.svc.example.com', targets: ['10.0.0.1'] });
    await eventually(status, (d) => d?.['failed-writes'] === '', 30_000, 200);
    expect(run.log.lines.some((l) => /DNSEndpoint shop\/aaa written after \d+ failed attempt/.test(l))).toBe(true);
  });
});
