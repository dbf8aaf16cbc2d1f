// The delivery gate end to end: the real KubeFed v0.10.0 propagates the federated objects, and
// (with RawResourceStatusCollection, which the action turns on) collects each member's status of
// them; the gate judges KubeFed's status alone, reading only the federation API.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ActionRun, runAction } from './helpers/action.js';
import {
  type AuditEvent,
  auditMark,
  clientFor,
  eventually,
  extraClusters,
  get,
  kubeconfigText,
  objectClient,
  testenv,
} from './helpers/testenv.js';

const NS = 'fed-gate';
const FED = 'arnor';
const GONDOR = '- name: gondor\n  context: gondor_needs-no_king\n';
const NOLDOR = '- name: noldor\n';
const inputs = (extra: Record<string, string> = {}) => ({
  kubeconfig: kubeconfigText(),
  'federation-name': FED,
  'host-cluster-context': 'rivendell',
  'federation-system-namespace': NS,
  'dns-provider': 'aws-route53',
  'dns-zone-name': 'example.com.',
  clusters: GONDOR + NOLDOR,
  timeout: '120s',
  ...extra,
});
const check = (extra: Record<string, string> = {}) => runAction(inputs({ mode: 'check', wait: 'false', ...extra }));

const TYPES = 'types.kubefed.io/v1beta1';
const placement = (...clusters: string[]) => ({ clusters: clusters.map((name) => ({ name })) });
const COREDNS = 'registry.k8s.io/coredns/coredns:v1.12.4';

interface Entry {
  delivered: boolean;
  judged: string;
  reason?: string;
  clusters: Record<string, { status: string; reason: string; delivered: boolean }>;
}
const propagation = (run: ActionRun) => JSON.parse(run.outputs.propagation || '{}') as Record<string, Entry>;

/** A Deployment that runs on a real kubelet as the restricted Pod Security level asks: CoreDNS, non-root, port 1053. */
const rangers = (overrides: unknown[]) => ({
  apiVersion: TYPES,
  kind: 'FederatedDeployment',
  metadata: { name: 'rangers', namespace: 'weathertop', labels: { app: 'rangers' } },
  spec: {
    template: {
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'rangers' } },
        template: {
          metadata: { labels: { app: 'rangers' } },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'dns',
                image: COREDNS,
                args: ['-dns.port=1053'],
                // The image's /coredns carries cap_net_bind_service=+ep: without that capability in
                // its bounding set, the kernel refuses to exec it ("operation not permitted").
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    },
    placement: placement('gondor', 'noldor'),
    overrides,
  },
});

describe('the delivery gate', () => {
  let federation: KubernetesObjectApi;
  const federatedNamespace = async (name: string, ...clusters: string[]) => {
    await federation.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedNamespace',
      metadata: { name, namespace: name },
      spec: { placement: placement(...clusters) },
    } as KubernetesObject);
  };

  beforeAll(async () => {
    const first = runAction(inputs());
    expect(first.status).toBe(0);
    expect(JSON.parse(first.outputs.propagation)).toEqual({});
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(first.outputs.kubeconfig, 'utf8'));
    federation = objectClient(kc);
    await federatedNamespace('weathertop', 'gondor', 'noldor');
    await federatedNamespace('amon-sul', 'gondor', 'noldor');
  });

  afterAll(() => {
    expect(runAction(inputs({ mode: 'destroy', force: 'true' })).status).toBe(0);
  });

  test("the delivery check lists the spec's federated types beside the FederatedTypeConfigs, not a round trip after", () => {
    const lists: AuditEvent[] = [];
    const mark = auditMark((e) => {
      const resource = e.objectRef?.resource ?? '';
      if (e.stage === 'ResponseComplete' && e.verb === 'list' && /^federated/.test(resource)) lists.push(e);
      return false;
    });
    expect(check().log).toContain('::group::');
    mark();
    // The delivery's list of every FederatedTypeConfig (the bootstrap's own selects by label).
    const configs = lists.find(
      (e) => e.objectRef?.resource === 'federatedtypeconfigs' && !/labelSelector=./.test(e.requestURI),
    );
    const deployments = lists.filter((e) => e.objectRef?.resource === 'federateddeployments');
    expect(configs).toBeDefined();
    expect(deployments.length).toBeGreaterThan(0);
    // Without the configs' answer a client cannot know the type, so a list made after it reaches
    // the server after the server has answered.
    expect(deployments[0].requestReceivedTimestamp < configs!.stageTimestamp).toBe(true);
  });

  test("a FederatedDeployment on two members is delivered only once both members' Deployments are available", async () => {
    // noldor's copy names an image no node can run: it is there, but never available.
    const missing = { path: '/spec/template/spec/containers/0/image', value: `${COREDNS}-missing` };
    await federation.create(rangers([{ clusterName: 'noldor', clusterOverrides: [missing] }]) as KubernetesObject);
    const halfway = await eventually(
      () => check({ 'propagation-selector': 'app=rangers' }),
      (run) => propagation(run)['FederatedDeployment/weathertop/rangers']?.clusters.gondor?.delivered === true,
      120_000,
      2000,
    );
    expect(halfway.status).toBe(1);
    expect(halfway.outputs.healthy).toBe('false');
    const entry = propagation(halfway)['FederatedDeployment/weathertop/rangers'];
    expect(entry).toMatchObject({ delivered: false, judged: 'rollout' });
    expect(entry?.clusters.gondor).toEqual({ status: 'OK', reason: '1/1 available', delivered: true });
    expect(entry?.clusters.noldor).toMatchObject({ status: 'OK', delivered: false });
    expect(entry?.clusters.noldor?.reason).toMatch(/^0\/1 available/);
    expect(halfway.log).toMatch(
      /::error::.*FederatedDeployment\/weathertop\/rangers is not delivered: cluster "noldor": 0\/1 available/,
    );
    expect(halfway.summary).toContain('Federated objects: 0/1 delivered; not delivered:');
    expect(halfway.summary).toMatch(/\| FederatedDeployment\/weathertop\/rangers \| noldor \| OK \| 0\/1 available/);

    const current = await get(federation, TYPES, 'FederatedDeployment', 'rangers', 'weathertop');
    await federation.replace({ ...current, spec: { ...current?.spec, overrides: [] } } as KubernetesObject);
    const applied = runAction(inputs());
    expect(applied.status).toBe(0);
    expect(applied.outputs.healthy).toBe('true');
    expect(propagation(applied)['FederatedDeployment/weathertop/rangers']).toEqual({
      delivered: true,
      judged: 'rollout',
      clusters: {
        gondor: { status: 'OK', reason: '1/1 available', delivered: true },
        noldor: { status: 'OK', reason: '1/1 available', delivered: true },
      },
    });
    // What the gate read through the federation is what each member says.
    for (const member of [clientFor('gondor_needs-no_king'), clientFor('noldor')]) {
      const deployment = await get(member, 'apps/v1', 'Deployment', 'rangers', 'weathertop');
      expect(deployment?.status?.availableReplicas).toBe(1);
      expect(deployment?.spec?.template?.spec?.containers?.[0]?.image).toBe(COREDNS);
    }
  });

  test('an override KubeFed cannot apply: ApplyOverridesFailed for that member, and the check, writing nothing, fails naming it', async () => {
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'palantir', namespace: 'weathertop', labels: { app: 'palantir' } },
      spec: {
        template: { data: { seen: 'yes' } },
        placement: placement('gondor', 'noldor'),
        overrides: [{ clusterName: 'gondor', clusterOverrides: [{ op: 'remove', path: '/data/missing' }] }],
      },
    } as KubernetesObject);
    const mark = auditMark();
    // With wait, the check waits only while a wait can mend it: not for an override that cannot apply.
    const run = runAction(inputs({ mode: 'check', 'propagation-selector': 'app=palantir', timeout: '90s' }));
    expect(mark().total).toBe(0);
    expect(run.status).toBe(1);
    expect(propagation(run)['FederatedConfigMap/weathertop/palantir']).toEqual({
      delivered: false,
      judged: 'presence',
      clusters: {
        gondor: { status: 'ApplyOverridesFailed', reason: 'ApplyOverridesFailed', delivered: false },
        noldor: { status: 'OK', reason: 'present', delivered: true },
      },
    });
    expect(run.log).toMatch(
      /::error::.*FederatedConfigMap\/weathertop\/palantir is not delivered: cluster "gondor": ApplyOverridesFailed/,
    );
    expect(run.log).not.toMatch(/timed out/);
    await federation.delete({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'palantir', namespace: 'weathertop' },
    });
    await eventually(
      () => get(federation, TYPES, 'FederatedConfigMap', 'palantir', 'weathertop'),
      (o) => o === undefined,
    );
  });

  test('the objects judged are chosen by namespace and by label; a bad selector is refused before anything', async () => {
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'beacon', namespace: 'amon-sul', labels: { app: 'beacon' } },
      spec: { template: { data: { lit: 'no' } }, placement: placement('gondor', 'noldor') },
    } as KubernetesObject);
    const mark = auditMark();
    const inNamespace = runAction(inputs({ mode: 'check', 'propagation-namespace': 'amon-sul' }));
    expect(inNamespace.status).toBe(0);
    expect(Object.keys(propagation(inNamespace)).sort()).toEqual([
      'FederatedConfigMap/amon-sul/beacon',
      'FederatedNamespace/amon-sul/amon-sul',
    ]);
    const byLabel = check({ 'propagation-selector': 'app in (rangers, beacon)' });
    expect(byLabel.status).toBe(0);
    expect(Object.keys(propagation(byLabel)).sort()).toEqual([
      'FederatedConfigMap/amon-sul/beacon',
      'FederatedDeployment/weathertop/rangers',
    ]);
    const all = check();
    expect(Object.keys(propagation(all))).toHaveLength(4);
    const bad = check({ 'propagation-selector': 'app in rangers' });
    expect(bad.status).toBe(1);
    expect(bad.log).toContain('propagation-selector: "app in rangers" is not a label selector');
    expect(mark().total).toBe(0);
  });

  test('kubefed status prints the table and -o json, reading only; kubefed federate --wait waits for delivery', async () => {
    const kubefed = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['dist/cli.js', ...args, '--host-cluster-context=rivendell', `--federation-system-namespace=${NS}`],
        { encoding: 'utf8', timeout: 170_000, env: { ...process.env, KUBECONFIG: testenv().kubeconfig } },
      );
    const mark = auditMark();
    const table = kubefed('status');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^OBJECT +CLUSTER +STATUS +REASON$/m);
    expect(table.stdout).toMatch(/^FederatedDeployment\/weathertop\/rangers +noldor +OK +1\/1 available \(rollout\)$/m);
    expect(table.stdout).toMatch(/^FederatedConfigMap\/amon-sul\/beacon +gondor +OK +present \(presence\)$/m);
    const one = kubefed('status', 'fdeploy', 'rangers', '-n', 'weathertop', '-o', 'json');
    expect(one.status).toBe(0);
    expect(Object.keys((JSON.parse(one.stdout) as { propagation: object }).propagation)).toEqual([
      'FederatedDeployment/weathertop/rangers',
    ]);
    const unknown = kubefed('status', 'no-such-things');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('type: "no-such-things" is not a type the federation propagates');
    expect(mark().total).toBe(0);

    await federation.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'scroll', namespace: 'weathertop' },
      data: { text: 'ash nazg' },
    } as KubernetesObject);
    const federated = kubefed('federate', 'configmap', 'scroll', '-n', 'weathertop', '--wait');
    expect(federated.status).toBe(0);
    expect(federated.stderr).toContain('1/1 delivered');
    const printed = /^propagation=(.*)$/m.exec(federated.stdout)?.[1] ?? '{}';
    expect(JSON.parse(printed)).toEqual({
      'FederatedConfigMap/weathertop/scroll': {
        delivered: true,
        judged: 'presence',
        clusters: {
          gondor: { status: 'OK', reason: 'present', delivered: true },
          noldor: { status: 'OK', reason: 'present', delivered: true },
        },
      },
    });
    // Placed on every member: a member joined later (below) would lack its namespace.
    await federation.delete({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'scroll', namespace: 'weathertop' },
    });
  });

  test('an object of a newer generation than KubeFed reported on is pending; apply waits until it is delivered', async () => {
    // No KubeFed to propagate the change: its controller manager is gone.
    const host = clientFor('rivendell');
    await host.delete({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${FED}-controller-manager`, namespace: NS },
    });
    await eventually(
      async () =>
        (await host.list('v1', 'Pod', NS)).items.filter((p) =>
          p.metadata?.name?.startsWith(`${FED}-controller-manager`),
        ),
      (pods) => pods.length === 0,
    );
    const beacon = await get(federation, TYPES, 'FederatedConfigMap', 'beacon', 'amon-sul');
    await federation.replace({
      ...beacon,
      spec: { ...beacon?.spec, template: { data: { lit: 'yes' } } },
    } as KubernetesObject);

    const mark = auditMark();
    const pending = runAction(inputs({ mode: 'check', 'propagation-selector': 'app=beacon', timeout: '12s' }));
    expect(mark().total).toBe(0);
    expect(pending.status).toBe(1);
    expect(propagation(pending)['FederatedConfigMap/amon-sul/beacon']).toMatchObject({
      delivered: false,
      reason: 'pending: generation 2 not yet propagated (status is of generation 1)',
    });
    // Progress while waiting, every few seconds.
    expect(pending.log).toMatch(
      /0\/1 delivered, waiting for FederatedConfigMap\/amon-sul\/beacon \(pending: generation 2 not yet propagated .*\) \(\d+s left\)/,
    );

    const applied = runAction(inputs({ 'propagation-selector': 'app=beacon' }));
    expect(applied.status).toBe(0);
    expect(propagation(applied)['FederatedConfigMap/amon-sul/beacon']?.delivered).toBe(true);
    expect((await get(clientFor('noldor'), 'v1', 'ConfigMap', 'beacon', 'amon-sul'))?.data).toEqual({ lit: 'yes' });
  });

  test('a member stopped: its objects are ClusterNotReady and the gate fails naming it', async () => {
    const mordor = extraClusters('mordor');
    const clusters = `${GONDOR}${NOLDOR}- name: mordor\n`;
    const kubeconfig = `${kubeconfigText()}\n---\n${mordor.kubeconfig}`;
    try {
      expect(runAction(inputs({ clusters, kubeconfig })).status).toBe(0);
      await federation.create({
        apiVersion: TYPES,
        kind: 'FederatedClusterRole',
        metadata: { name: 'arnor-watchtower', labels: { app: 'watchtower' } },
        spec: { template: { rules: [] }, placement: placement('gondor', 'mordor') },
      } as KubernetesObject);
      const delivered = runAction(
        inputs({ clusters, kubeconfig, mode: 'check', 'propagation-selector': 'app=watchtower' }),
      );
      expect(delivered.status).toBe(0);
      mordor.stop();
      const failed = await eventually(
        () =>
          runAction(
            inputs({ clusters, kubeconfig, mode: 'check', wait: 'false', 'propagation-selector': 'app=watchtower' }),
          ),
        (run) =>
          propagation(run)['FederatedClusterRole/arnor-watchtower']?.clusters.mordor?.status === 'ClusterNotReady',
        200_000,
        5000,
      );
      expect(failed.status).toBe(1);
      expect(propagation(failed)['FederatedClusterRole/arnor-watchtower']?.clusters.gondor?.delivered).toBe(true);
      expect(failed.log).toMatch(
        /FederatedClusterRole\/arnor-watchtower is not delivered: cluster "mordor": ClusterNotReady/,
      );
      // Being deleted, it is no longer judged (KubeFed cannot remove mordor's copy: it stays, deleting).
      await federation.delete({
        apiVersion: TYPES,
        kind: 'FederatedClusterRole',
        metadata: { name: 'arnor-watchtower' },
      });
      const after = runAction(
        inputs({ clusters, kubeconfig, mode: 'check', wait: 'false', 'propagation-selector': 'app=watchtower' }),
      );
      expect(propagation(after)).toEqual({});
    } finally {
      mordor.stop();
    }
    // mordor leaves (with force: it cannot be reached).
    expect(runAction(inputs({ prune: 'true', force: 'true' })).status).toBe(0);
  }, 360_000);
});
