// `kubefed join`, `unjoin` and the cleanup as convergence of the `clusters` list, end to end:
// the built action against the real API servers testenv runs (rivendell is the host; gondor,
// whose context is the guide's awkward "gondor_needs-no_king", and noldor are members).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { AddressInfo, connect, createServer } from 'node:net';
import { ActionRun, runAction, runActionAsync } from './helpers/action.js';
import { KUBEFED_HEALTH_CHECK_PERIOD_MS } from '../src/desired/federation-objects.js';
import {
  type AuditEvent,
  auditMark,
  byAction,
  clientFor,
  eventually,
  extraClusters,
  get,
  kubeconfigText,
  objectClient,
  testenv,
} from './helpers/testenv.js';

const NS = 'fed-join';
const base = {
  'federation-name': 'fellowship',
  'host-cluster-context': 'rivendell',
  'federation-system-namespace': NS,
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
  // testenv's DNS etcd: external-dns must reach one, or it crash-loops and DNS is not available.
  'dns-provider-config': `[Global]\netcd-endpoints = ${testenv().etcd}\nzones = example.com.`,
  timeout: '90s',
};
const inputs = (clusters: string, extra: Record<string, string> = {}) => ({
  kubeconfig: kubeconfigText(),
  ...base,
  clusters,
  ...extra,
});
const GONDOR = '- name: gondor\n  context: gondor_needs-no_king\n';
const NOLDOR = '- name: noldor\n  secret-name: 11kingdom\n';

const gondor = () => clientFor('gondor_needs-no_king');
const noldor = () => clientFor('noldor');
const rivendell = () => clientFor('rivendell');
const server = (name: string) => testenv().clusters.find((c) => c.name === name)?.server;

const secretText = (s: unknown, key: string) =>
  Buffer.from((s as { data?: Record<string, string> } | undefined)?.data?.[key] ?? '', 'base64').toString();

/** Every object of these kinds the action labelled as this federation's, in one cluster. */
async function ownedObjects(client: KubernetesObjectApi): Promise<string[]> {
  const kinds: [string, string][] = [
    ['v1', 'ServiceAccount'],
    ['v1', 'Secret'],
    ['v1', 'ConfigMap'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
    ['apps/v1', 'Deployment'],
    ['v1', 'Service'],
    ['v1', 'PersistentVolumeClaim'],
  ];
  const found: string[] = [];
  for (const [apiVersion, kind] of kinds) {
    const list = await client.list(
      apiVersion,
      kind,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'kubefed-action.io/federation=fellowship',
    );
    found.push(...list.items.map((o) => `${kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`));
  }
  return found;
}

describe('join, unjoin and destroy', () => {
  let federation: KubernetesObjectApi;
  let first: ActionRun;
  // The Corefiles of rivendell's and noldor's cluster DNS before any join (kubeadm's CoreDNS).
  const corefiles: Record<string, string> = {};
  const corefileOf = async (client: KubernetesObjectApi) =>
    (await get(client, 'v1', 'ConfigMap', 'coredns', 'kube-system'))?.data?.Corefile as string;

  /** Creates the object, or replaces what another test file left under its name. */
  const put = async (client: KubernetesObjectApi, object: KubernetesObject) => {
    const existing = await get(
      client,
      object.apiVersion as string,
      object.kind as string,
      object.metadata?.name as string,
      object.metadata?.namespace,
    );
    await (existing
      ? client.replace({
          ...object,
          metadata: { ...object.metadata, resourceVersion: existing.metadata?.resourceVersion },
        })
      : client.create(object));
  };

  beforeAll(async () => {
    // gondor already serves another federation's DNS; the join must keep that entry.
    await put(gondor(), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-dns', namespace: 'kube-system' },
      data: { federations: 'mordor=evil.org', stubDomains: '{"acme.local": ["1.2.3.4"]}' },
    } as KubernetesObject);
    // rivendell and noldor run CoreDNS, as kubeadm deploys it (and no kube-dns ConfigMap): joining
    // merges the federation's server block into their Corefile.
    corefiles.rivendell = await corefileOf(rivendell());
    corefiles.noldor = await corefileOf(noldor());
  });

  test('plan shows the join of both members and writes nothing', () => {
    const mark = auditMark();
    const run = runAction({ ...inputs(GONDOR + NOLDOR), mode: 'plan' });
    expect(run.status).toBe(0);
    const plan = JSON.parse(run.outputs.plan) as { action: string; cluster: string; kind: string; name: string }[];
    expect(plan.map((s) => `${s.action} ${s.cluster} ${s.kind} ${s.name}`)).toEqual(
      expect.arrayContaining([
        'create gondor ServiceAccount kubefed.fellowship.gondor',
        'create federation KubeFedCluster noldor',
        'create federation Secret 11kingdom',
        'update gondor ConfigMap kube-dns',
        'update noldor ConfigMap coredns',
      ]),
    );
    expect(mark().total).toBe(0);
  });

  test('joins two members: credentials in the federation, rights and token in the member, kube-dns merged', async () => {
    const tokenRequest = (e: AuditEvent, verb: string, stage: string) =>
      byAction(e) &&
      e.verb === verb &&
      e.stage === stage &&
      e.objectRef?.resource === 'secrets' &&
      e.objectRef?.name === 'kubefed.fellowship.gondor.token';
    const tokenReads = auditMark((e) => tokenRequest(e, 'get', 'ResponseComplete'));
    const tokenWatches = auditMark((e) => tokenRequest(e, 'watch', 'ResponseStarted'));
    first = runAction(inputs(GONDOR + NOLDOR));
    expect(first.log).not.toMatch(/::error::/);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.outputs['joined-clusters'])).toEqual(['gondor', 'noldor']);
    expect(JSON.parse(first.outputs['cluster-endpoints'])).toEqual({
      gondor: server('gondor'),
      noldor: server('noldor'),
    });
    expect(first.outputs.changed).toBe('true');
    // The token came through a watch opened before its Secret was written, as soon as the token
    // controller filled it in: the only read of the Secret is the one before the writes.
    expect(tokenWatches().total).toBe(1);
    expect(tokenReads().total).toBe(1);
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(first.outputs.kubeconfig, 'utf8'));
    federation = objectClient(kc);

    const token = await get(gondor(), 'v1', 'Secret', 'kubefed.fellowship.gondor.token', 'kube-system');
    expect(token?.type).toBe('kubernetes.io/service-account-token');
    const memberToken = secretText(token, 'token');
    expect(memberToken).not.toBe('');
    expect(first.log).toContain(`::add-mask::${memberToken}`);
    expect(first.shown).not.toContain(memberToken);
    // The federation holds the member's own token (never the user's credentials) under the secret name.
    expect(secretText(await get(federation, 'v1', 'Secret', 'gondor', NS), 'token')).toBe(memberToken);
    expect(secretText(await get(federation, 'v1', 'Secret', '11kingdom', NS), 'token')).not.toBe('');
    const kfc = await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'noldor', NS);
    expect(kfc?.spec).toMatchObject({ apiEndpoint: server('noldor'), secretRef: { name: '11kingdom' } });
    expect(Buffer.from(kfc?.spec.caBundle, 'base64').toString()).toContain('BEGIN CERTIFICATE');

    // The token really works, with the rights the ClusterRole gives: list nodes in the member.
    const asFederation = new KubeConfig();
    asFederation.loadFromOptions({
      clusters: [
        {
          name: 'gondor',
          server: server('gondor') as string,
          caData: (await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'gondor', NS))?.spec.caBundle,
        },
      ],
      users: [{ name: 'fed', token: memberToken }],
      contexts: [{ name: 'fed', cluster: 'gondor', user: 'fed' }],
      currentContext: 'fed',
    });
    const nodes = await objectClient(asFederation).list('v1', 'Node');
    expect(nodes.items.length).toBeGreaterThan(0);

    expect((await get(gondor(), 'v1', 'ConfigMap', 'kube-dns', 'kube-system'))?.data).toEqual({
      federations: 'mordor=evil.org,fellowship=example.com',
      stubDomains: '{"acme.local": ["1.2.3.4"]}',
    });
    expect(await get(noldor(), 'v1', 'ConfigMap', 'kube-dns', 'kube-system')).toBeUndefined();
    const noldorCorefile = await corefileOf(noldor());
    expect(noldorCorefile.startsWith(corefiles.noldor)).toBe(true);
    expect(noldorCorefile).toContain('fellowship.svc.cluster.local:53 {');
    expect(first.summary).toMatch(
      /\| gondor \| https:\/\/172\.30\.\d+\.1:\d+ \| joined, ready \| \d+ create, 1 update \|/,
    );

    // The members' sides of the join went out beside the control plane, not once the federation
    // API was up: gondor's account is older than the KubeFedConfig this run bootstrapped there.
    const account = await get(gondor(), 'v1', 'ServiceAccount', 'kubefed.fellowship.gondor', 'kube-system');
    const kubefedConfig = await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedConfig', 'kubefed', NS);
    // A Date as the client reads a core kind, a string as it reads a custom resource.
    const created = (o: typeof account) => new Date(o?.metadata?.creationTimestamp as Date | string).getTime();
    expect(created(account)).toBeLessThan(created(kubefedConfig));
    // Their lines were held until the members' section of the log.
    expect(first.log.indexOf('[gondor] ')).toBeGreaterThan(first.log.indexOf('::group::Member clusters'));
    expect(first.log.indexOf('::group::Member clusters')).toBeGreaterThan(first.log.indexOf('::group::Federation API'));
  });

  test('the real KubeFed controller manager finds both members Ready with the credentials the federation holds', async () => {
    const deadline = Date.now() + 30_000;
    let states: string[] = [];
    while (Date.now() < deadline) {
      const list = await federation.list('core.kubefed.io/v1beta1', 'KubeFedCluster', NS);
      const ready = (k: { status?: { conditions?: { type: string; status: string }[] } }) =>
        k.status?.conditions?.find((c) => c.type === 'Ready')?.status;
      states = list.items.map((k) => `${k.metadata?.name}=${ready(k as never)}`);
      if (states.join() === 'gondor=True,noldor=True') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(states).toEqual(['gondor=True', 'noldor=True']);
  });

  test('a re-run sends no write to any cluster and says nothing changed', () => {
    const mark = auditMark();
    const run = runAction(inputs(GONDOR + NOLDOR));
    expect(run.status).toBe(0);
    expect(run.outputs.changed).toBe('false');
    expect(JSON.parse(run.outputs.plan)).toEqual([]);
    expect(mark()).toEqual({ total: 0, byLog: {} });
  });

  test('a removed token is recreated and the federation, KubeFed with it, gets the new one; a changed endpoint updates the KubeFedCluster', async () => {
    const before = secretText(await get(federation, 'v1', 'Secret', 'gondor', NS), 'token');
    await gondor().delete({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kubefed.fellowship.gondor.token', namespace: 'kube-system' },
    });
    // The same API server at another endpoint its certificate covers: a TCP relay on noldor's own
    // address (testenv's bridge), which KubeFed reaches from its Pod as it reaches noldor (a Pod's
    // loopback is its own). The runs go in processes of their own: this one serves the relay.
    const noldorAt = new URL(server('noldor') as string);
    const relay = createServer((client) => {
      const upstream = connect(Number(noldorAt.port), noldorAt.hostname);
      for (const s of [client, upstream]) s.on('error', () => (s === client ? upstream : client).destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, noldorAt.hostname, resolve));
    const relayed = `https://${noldorAt.hostname}:${(relay.address() as AddressInfo).port}`;
    const rotated = Date.now();
    try {
      await movedEndpoint(before, relayed);
    } finally {
      relay.close();
    }
    // The member refuses the old token now (its Secret is gone). KubeFed builds its client of
    // a member anew only when the KubeFedCluster changes: the record's new credentials mark
    // made it drop the old one, so its health checks, failureThreshold (3) of them since, pass.
    const kubeFedOnGondor = await eventually(
      async () => {
        const kfc = await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'gondor', NS);
        const conditions = (kfc?.status?.conditions ?? []) as { type: string; status: string; lastProbeTime: string }[];
        return {
          probed: Math.max(0, ...conditions.map((c) => Date.parse(c.lastProbeTime) || 0)),
          says: conditions.find((c) => c.status === 'True')?.type,
        };
      },
      ({ probed }) => probed >= rotated + 3 * KUBEFED_HEALTH_CHECK_PERIOD_MS + 1000,
      90_000,
      1000,
    );
    expect(kubeFedOnGondor.says).toBe('Ready');
  });

  /** The join with noldor's endpoint moved: gondor's new token, noldor's endpoint, and back. */
  async function movedEndpoint(before: string, endpoint: string) {
    const moved = kubeconfigText().replace(`server: ${server('noldor')}`, `server: ${endpoint}`);
    const run = await runActionAsync({ ...inputs(GONDOR + NOLDOR), kubeconfig: moved });
    expect(run.status).toBe(0);
    const plan = JSON.parse(run.outputs.plan) as { action: string; cluster: string; kind: string; name: string }[];
    expect(plan.map((s) => `${s.action} ${s.cluster} ${s.kind} ${s.name}`).sort()).toEqual([
      'create gondor Secret kubefed.fellowship.gondor.token',
      // Its credentials mark: the new token's.
      'update federation KubeFedCluster gondor',
      'update federation KubeFedCluster noldor',
      'update federation Secret gondor',
    ]);
    const after = secretText(await get(federation, 'v1', 'Secret', 'gondor', NS), 'token');
    expect(after).not.toBe('');
    expect(after).not.toBe(before);
    expect((await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'noldor', NS))?.spec.apiEndpoint).toBe(
      endpoint,
    );
    expect((await runActionAsync(inputs(GONDOR + NOLDOR))).outputs.changed).toBe('true'); // back to noldor's own
  }

  test('a third member joins and prune unjoins the one no longer listed, leaving other federations\u2019 DNS entries', async () => {
    const run = runAction(inputs(`${NOLDOR}- rivendell\n`, { prune: 'true' }));
    expect(run.log).not.toMatch(/::error::/);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.outputs['joined-clusters'])).toEqual(['noldor', 'rivendell']);
    expect(JSON.parse(run.outputs['unjoined-clusters'])).toEqual(['gondor']);
    expect(await ownedObjects(gondor())).toEqual([]);
    expect(await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'gondor', NS)).toBeUndefined();
    expect(await get(federation, 'v1', 'Secret', 'gondor', NS)).toBeUndefined();
    expect((await get(gondor(), 'v1', 'ConfigMap', 'kube-dns', 'kube-system'))?.data?.federations).toBe(
      'mordor=evil.org',
    );
    // rivendell runs CoreDNS: its Corefile gets the federation's server block after the rest.
    const corefile = await corefileOf(rivendell());
    expect(corefile.startsWith(corefiles.rivendell)).toBe(true);
    expect(corefile.slice(corefiles.rivendell.length)).toMatch(/^\n?# kubefed-action federation fellowship: begin/);
    expect(corefile).toContain('fellowship.svc.cluster.local:53 {');
    expect(await get(rivendell(), 'v1', 'ConfigMap', 'kube-dns', 'kube-system')).toBeUndefined();
    expect(run.summary).toMatch(/\| gondor \| [^|]+ \| unjoined \| 1 update, 6 delete \|/);
  });

  test('without prune, a cluster dropped from the list stays joined and is reported', () => {
    const mark = auditMark();
    const run = runAction(inputs(NOLDOR));
    expect(run.status).toBe(0);
    expect(mark().total).toBe(0);
    expect(JSON.parse(run.outputs['joined-clusters'])).toEqual(['noldor', 'rivendell']);
    expect(run.log).toContain('joined but no longer listed: rivendell (prune: true unjoins them)');
  });

  test('a bad cluster or secret name is refused before any write, naming the cluster and the rule', () => {
    const mark = auditMark();
    const run = runAction(inputs('- name: gondor_needs-no_king\n- name: noldor\n  secret-name: 11_kingdom\n'));
    expect(run.status).toBe(1);
    expect(run.log).toMatch(
      /cluster name "gondor_needs-no_king" must be an RFC 1035 label.*give its kubeconfig context as "context"/,
    );
    expect(run.log).toMatch(/secret name "11_kingdom" of cluster "noldor" must be an RFC 1123 subdomain/);
    expect(mark().total).toBe(0);
  });

  test('an unknown context is refused before any write, naming the contexts there are', () => {
    const mark = auditMark();
    const run = runAction(inputs(`${NOLDOR}- name: isengard\n`));
    expect(run.status).toBe(1);
    expect(run.log).toMatch(
      /clusters: cluster "isengard": context "isengard" is not in the kubeconfig; it has "gondor_needs-no_king", "noldor", "rivendell"/,
    );
    expect(mark().total).toBe(0);
  });

  describe('with a member that is down', () => {
    let mordor: ReturnType<typeof extraClusters>;
    beforeAll(() => {
      mordor = extraClusters('mordor');
    });
    afterAll(() => mordor.stop());

    test('the other members still join; the step fails at the end naming the one that is down', async () => {
      const kubeconfig = `${kubeconfigText()}\n---\n${mordor.kubeconfig}`;
      mordor.stop();
      const run = runAction({ ...inputs(`${GONDOR}${NOLDOR}- mordor\n- rivendell\n`), kubeconfig });
      expect(run.status).toBe(1);
      expect(JSON.parse(run.outputs['joined-clusters'])).toEqual(['gondor', 'noldor', 'rivendell']);
      // Whichever of its reads failed first says so (they go out together).
      expect(run.log).toMatch(
        /::error::cluster "mordor" \(context "mordor"\): cannot read \w+ \S+ at https:\/\/172\.30\.\d+\.1:\d+: EHOSTUNREACH/,
      );
      expect(run.summary).toMatch(/\| mordor \| https:\/\/172\.30\.\d+\.1:\d+ \| unreachable \| — \|/);
      expect(await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'gondor', NS)).toBeDefined();
      expect(await get(federation, 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'mordor', NS)).toBeUndefined();
      expect(run.outputs.healthy).toBe('false');
    });
  });

  test('destroy unjoins every member and deletes the namespace; the etcd volume is kept (Retain) and named', async () => {
    // The cluster's provisioner bound the claim to a volume it would delete with the claim.
    const claim = 'fellowship-federation-apiserver-etcd-claim';
    const volume = (await get(rivendell(), 'v1', 'PersistentVolumeClaim', claim, NS))?.spec?.volumeName as string;
    expect(volume).toMatch(/^pvc-/);
    expect((await get(rivendell(), 'v1', 'PersistentVolume', volume))?.spec.persistentVolumeReclaimPolicy).toBe(
      'Delete',
    );

    const run = runAction(inputs(GONDOR + NOLDOR, { mode: 'destroy' }));
    expect(run.log).not.toMatch(/::error::/);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.outputs['unjoined-clusters']).sort()).toEqual(['gondor', 'noldor', 'rivendell']);
    expect(run.outputs['retained-volume']).toBe(volume);
    expect(run.log).toContain(
      `::warning::PersistentVolume ${volume} (the federation's etcd data, bound to claim ` +
        `${NS}/${claim}; find it with kubectl get pv) is kept: its reclaim policy was Delete and is now Retain`,
    );
    // Retain is set before the claim goes.
    expect(run.log.indexOf(`update PersistentVolume ${volume}`)).toBeGreaterThan(-1);
    expect(run.log.indexOf(`update PersistentVolume ${volume}`)).toBeLessThan(run.log.indexOf('delete Namespace'));
    expect(run.summary).toContain(`PersistentVolume ${volume}`);
    expect(await get(rivendell(), 'v1', 'Namespace', NS)).toBeUndefined();
    // Unjoined, rivendell's and noldor's Corefiles are as they were, byte for byte.
    expect(await corefileOf(rivendell())).toBe(corefiles.rivendell);
    expect(await corefileOf(noldor())).toBe(corefiles.noldor);
    for (const client of [rivendell(), gondor(), noldor()]) expect(await ownedObjects(client)).toEqual([]);
    // Other federations' DNS entries stay; the kube-dns ConfigMap the action made is gone.
    expect((await get(gondor(), 'v1', 'ConfigMap', 'kube-dns', 'kube-system'))?.data?.federations).toBe(
      'mordor=evil.org',
    );
    expect(await get(noldor(), 'v1', 'ConfigMap', 'kube-dns', 'kube-system')).toBeUndefined();
    // The claim is gone and the volume, Released, still holds the data.
    const kept = await eventually(
      () => get(rivendell(), 'v1', 'PersistentVolume', volume),
      (pv) => pv?.status?.phase !== 'Bound',
      30_000,
    );
    expect(kept?.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(kept?.status.phase).toBe('Released');
    await rivendell().delete({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: volume } });

    const again = runAction(inputs(GONDOR + NOLDOR, { mode: 'destroy' }));
    expect(again.status).toBe(0);
    expect(again.outputs.changed).toBe('false');
    expect(first.post()).toContain('removed the federation kubeconfig');
  });
});
