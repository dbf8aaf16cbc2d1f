// `kubefed init` as convergence, end to end: the built action (dist/index.js) against the
// real API servers testenv runs; the federation's API server, etcd, KubeFed controller manager
// and webhook run as the real programs, started by the real kubelet of testenv's nodes from the Deployments the
// action wrote.
import { afterAll, describe, expect, test } from '@jest/globals';
import { type KubernetesObject, PatchStrategy } from '@kubernetes/client-node';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { DEFAULT_FEDERATED_TYPES } from '../src/desired/federated-types.js';
import { runAction, runActionAsync } from './helpers/action.js';
import { auditMark, clientFor, exists, get, kubeconfigText, objectClient, testenv } from './helpers/testenv.js';

const base = (namespace: string, name: string) => ({
  kubeconfig: kubeconfigText(),
  'federation-name': name,
  'host-cluster-context': 'rivendell',
  'federation-system-namespace': namespace,
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
  // testenv's DNS etcd: external-dns must reach one, or it crash-loops and DNS is not available.
  'dns-provider-config': `[Global]\netcd-endpoints = ${testenv().etcd}\nzones = example.com.`,
  timeout: '90s',
});

function secretsOfKubeconfig(): string[] {
  const text = kubeconfigText();
  return [...text.matchAll(/(client-key-data|client-certificate-data): (\S+)/g)].flatMap(([, , v]) => [
    v,
    Buffer.from(v, 'base64').toString().split('\n')[1],
  ]);
}

/** A run's plan output, one "action Kind name" line per step. */
const planSteps = (run: { outputs: Record<string, string> }): string[] =>
  (JSON.parse(run.outputs.plan) as { action: string; kind: string; name: string }[]).map(
    (s) => `${s.action} ${s.kind} ${s.name}`,
  );

describe('init', () => {
  const inputs = base('fed-init', 'fellowship');
  const host = () => clientFor('rivendell');
  // The federation goes once the file is done: other files count what fellowship owns.
  afterAll(() => expect(runAction({ ...inputs, mode: 'destroy', wait: 'false' }).status).toBe(0));

  test('plan on an empty host lists every step and writes nothing', () => {
    const mark = auditMark();
    const run = runAction({ ...inputs, mode: 'plan' });
    expect(run.status).toBe(0);
    expect(planSteps(run)).toEqual(
      expect.arrayContaining([
        'create Namespace fed-init',
        'create Deployment fellowship-apiserver',
        'create PersistentVolumeClaim fellowship-federation-apiserver-etcd-claim',
      ]),
    );
    expect(run.outputs.changed).toBe('false');
    expect(mark().total).toBe(0);
    expect(run.summary).toContain('would change');
  });

  test('first apply deploys the control plane and bootstraps the federation API', async () => {
    const run = runAction(inputs);
    expect(run.log).not.toMatch(/::error::/);
    expect(run.status).toBe(0);
    expect(run.outputs.healthy).toBe('true');
    expect(run.outputs.changed).toBe('true');
    expect(run.outputs['federation-endpoint']).toMatch(/^https:\/\/172\.31\.\d+\.\d+:443$/);
    expect(run.outputs['federation-context']).toBe('fellowship');
    for (const [kind, name] of [
      ['Secret', 'fellowship-apiserver-credentials'],
      ['Secret', 'fellowship-dns-provider-config'],
      ['PersistentVolumeClaim', 'fellowship-federation-apiserver-etcd-claim'],
      ['Deployment', 'fellowship-controller-manager'],
    ]) {
      expect(await exists(host(), kind.startsWith('Dep') ? 'apps/v1' : 'v1', kind, name, 'fed-init')).toBe(true);
    }
    // The federation API itself, through the kubeconfig output (admin client certificate).
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(run.outputs.kubeconfig);
    const fed = objectClient(kc);
    expect(await exists(fed, 'v1', 'Namespace', 'default')).toBe(true);
    expect(await exists(fed, 'v1', 'Namespace', 'fed-init')).toBe(true);
    // KubeFed's seven core CRDs, its complete configuration, and kubefedctl's ten types.
    const crds = (await fed.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).items.map(
      (c) => c.metadata?.name,
    );
    expect(crds).toEqual(
      expect.arrayContaining([
        'kubefedclusters.core.kubefed.io',
        'kubefedconfigs.core.kubefed.io',
        'federatedtypeconfigs.core.kubefed.io',
        'propagatedversions.core.kubefed.io',
        'clusterpropagatedversions.core.kubefed.io',
        'federatedservicestatuses.core.kubefed.io',
        'replicaschedulingpreferences.scheduling.kubefed.io',
        'federatednamespaces.types.kubefed.io',
        'federateddeployments.types.kubefed.io',
        'federatedclusterroles.types.kubefed.io',
      ]),
    );
    const config = await get(fed, 'core.kubefed.io/v1beta1', 'KubeFedConfig', 'kubefed', 'fed-init');
    expect(Object.keys(config?.spec ?? {}).sort()).toEqual([
      'clusterHealthCheck',
      'controllerDuration',
      'featureGates',
      'leaderElect',
      'scope',
      'statusController',
      'syncController',
    ]);
    const types = (await fed.list('core.kubefed.io/v1beta1', 'FederatedTypeConfig', 'fed-init')).items.map(
      (t) => t.metadata?.name,
    );
    expect(types.sort()).toEqual([
      'clusterroles.rbac.authorization.k8s.io',
      'configmaps',
      'deployments.apps',
      'ingresses.networking.k8s.io',
      'jobs.batch',
      'namespaces',
      'replicasets.apps',
      'secrets',
      'serviceaccounts',
      'services',
    ]);
    // KubeFed's controller manager acts as itself, bound to the chart's rights, not as system:masters.
    const binding = await get(
      fed,
      'rbac.authorization.k8s.io/v1',
      'ClusterRoleBinding',
      'kubefed-action:fellowship:controller-manager',
    );
    expect(binding?.subjects).toEqual([
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'kubefed-action:fellowship:controller-manager' },
    ]);
    // The real programs run: KubeFed's controller manager and webhook pods are ready on the host,
    // and the DNS controller in a Deployment of its own.
    for (const deployment of ['fellowship-controller-manager', 'fellowship-webhook', 'fellowship-dns-controller']) {
      const d = await get(host(), 'apps/v1', 'Deployment', deployment, 'fed-init');
      expect(d?.status?.availableReplicas).toBe(1);
    }
    // The namespace the action made enforces Pod Security "restricted" (its Pods were admitted there).
    expect((await get(host(), 'v1', 'Namespace', 'fed-init'))?.metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.34',
    });
    // The webhook and external-dns act as identities of their own, with only what they need.
    const may = async (user: string, attributes: Record<string, string>) => {
      const review = await fed.create({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user, resourceAttributes: attributes },
      } as KubernetesObject);
      return (review as KubernetesObject & { status?: { allowed?: boolean } }).status?.allowed === true;
    };
    const webhook = 'kubefed-action:fellowship:webhook';
    const kubefed = { group: 'core.kubefed.io', namespace: 'fed-init' };
    expect(await may(webhook, { ...kubefed, resource: 'kubefedclusters', verb: 'list' })).toBe(true);
    expect(await may(webhook, { ...kubefed, resource: 'kubefedclusters', verb: 'update' })).toBe(false);
    expect(await may(webhook, { namespace: 'fed-init', resource: 'secrets', verb: 'get' })).toBe(false);
    expect(await may(webhook, { group: 'authentication.k8s.io', resource: 'tokenreviews', verb: 'create' })).toBe(true);
    const externalDns = 'kubefed-action:fellowship:external-dns';
    const records = { group: 'externaldns.k8s.io', namespace: 'shop', resource: 'dnsendpoints' };
    expect(await may(externalDns, { ...records, verb: 'watch' })).toBe(true);
    expect(await may(externalDns, { ...records, subresource: 'status', verb: 'update' })).toBe(true);
    for (const verb of ['create', 'update', 'delete']) expect(await may(externalDns, { ...records, verb })).toBe(false);
    // No credential of the input kubeconfig reaches the log (the runner consumes the
    // ::add-mask:: commands that register them; they are not log lines).
    for (const secret of secretsOfKubeconfig()) expect(run.shown).not.toContain(secret);
    expect(run.log).toContain('::add-mask::');
    // The output kubeconfig's key, as the base64 it holds it in, is masked too.
    const keyData = /client-key-data: (\S+)/.exec(readFileSync(run.outputs.kubeconfig, 'utf8'))?.[1];
    expect(run.log).toContain(`::add-mask::${keyData}\n`);
    expect(statSync(run.outputs.kubeconfig).mode & 0o777).toBe(0o600);
    expect(run.outputs.kubeconfig.startsWith(run.runnerTemp)).toBe(true);
    expect(run.post()).toContain('removed the federation kubeconfig');
    expect(existsSync(run.outputs.kubeconfig)).toBe(false);
  });

  test('a re-run sends no write request and says nothing changed', () => {
    const mark = auditMark();
    const run = runAction(inputs);
    expect(run.status).toBe(0);
    expect(run.outputs.changed).toBe('false');
    expect(run.outputs.plan).toBe('[]');
    expect(mark()).toEqual({ total: 0, byLog: {} });
    expect(run.summary).toContain('Nothing changed');
  });

  test('a type no longer listed in federated-types is disabled, its unused CRD removed; listed again, enabled', async () => {
    const withoutJobs = DEFAULT_FEDERATED_TYPES.filter((t) => t !== 'jobs.batch').join(',');
    const dropped = runAction({ ...inputs, 'federated-types': withoutJobs });
    expect(dropped.status).toBe(0);
    expect(planSteps(dropped)).toEqual(
      expect.arrayContaining([
        'delete FederatedTypeConfig jobs.batch',
        'delete CustomResourceDefinition federatedjobs.types.kubefed.io',
      ]),
    );
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(dropped.outputs.kubeconfig);
    const fed = objectClient(kc);
    expect(await exists(fed, 'core.kubefed.io/v1beta1', 'FederatedTypeConfig', 'jobs.batch', 'fed-init')).toBe(false);
    // The default again: kubefedctl's ten.
    const listedAgain = runAction(inputs);
    expect(listedAgain.status).toBe(0);
    expect(planSteps(listedAgain)).toEqual(
      expect.arrayContaining([
        'create FederatedTypeConfig jobs.batch',
        'create CustomResourceDefinition federatedjobs.types.kubefed.io',
      ]),
    );
    expect(await exists(fed, 'core.kubefed.io/v1beta1', 'FederatedTypeConfig', 'jobs.batch', 'fed-init')).toBe(true);
  });

  test('a re-run on what an older release made removes what it made and nothing uses, where it can prove it', async () => {
    const ns = 'fed-init';
    const marks = {
      labels: {
        app: 'federated-cluster',
        'app.kubernetes.io/managed-by': 'kubefed-action',
        'kubefed-action.io/federation': 'fellowship',
      },
      annotations: { 'kubefed-action.io/applied-hash': '0123456789abcdef0123456789abcdef' },
    };
    const name = 'fellowship-controller-manager';
    const rbac = 'rbac.authorization.k8s.io/v1';
    // As the older release left them: its account and binding, and a Role it did not make.
    await host().create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, ...marks } });
    await host().create({
      apiVersion: rbac,
      kind: 'Role',
      metadata: { name, namespace: ns },
      rules: [],
    } as KubernetesObject);
    await host().create({
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name, namespace: ns, ...marks },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    } as KubernetesObject);
    // And kube-controller-manager's kubeconfig inside KubeFed's Secret, applied by the action.
    const secret = await get(host(), 'v1', 'Secret', 'fellowship-controller-manager-kubeconfig', ns);
    await host().patch(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: secret!.metadata!.name,
          namespace: ns,
          labels: secret!.metadata!.labels,
          ...{ annotations: marks.annotations },
        },
        type: secret!.type,
        data: { ...secret!.data, 'kube-controller-manager.kubeconfig': secret!.data.kubeconfig },
      } as KubernetesObject,
      undefined,
      undefined,
      'kubefed-action',
      true,
      PatchStrategy.ServerSideApply,
    );

    const run = runAction(inputs);
    expect(run.status).toBe(0);
    const plan = planSteps(run);
    expect(plan.sort()).toEqual(
      [
        'update Secret fellowship-controller-manager-kubeconfig',
        `delete RoleBinding ${name}`,
        `delete ServiceAccount ${name}`,
      ].sort(),
    );
    expect(await exists(host(), 'v1', 'ServiceAccount', name, ns)).toBe(false);
    expect(await exists(host(), rbac, 'RoleBinding', name, ns)).toBe(false);
    expect(await exists(host(), rbac, 'Role', name, ns)).toBe(true);
    expect(
      Object.keys((await get(host(), 'v1', 'Secret', 'fellowship-controller-manager-kubeconfig', ns))?.data),
    ).toEqual(['kubeconfig']);
    const mark = auditMark();
    expect(runAction(inputs).outputs.changed).toBe('false');
    expect(mark().total).toBe(0);
    await host().delete({ apiVersion: rbac, kind: 'Role', metadata: { name, namespace: ns } });
  });

  test('turning token auth on changes only what depends on it', async () => {
    const mark = auditMark();
    const run = runAction({ ...inputs, 'apiserver-enable-token-auth': 'true' });
    expect(run.status).toBe(0);
    const plan = planSteps(run);
    expect(plan).toEqual(['update Secret fellowship-apiserver-credentials', 'update Deployment fellowship-apiserver']);
    expect(mark().total).toBe(2);
    expect(run.outputs.healthy).toBe('true');
    // The bare admin token is masked, not only the token file that holds it.
    const tokens = await get(host(), 'v1', 'Secret', 'fellowship-apiserver-credentials', 'fed-init');
    const token = Buffer.from(tokens?.data?.['token.csv'] ?? '', 'base64')
      .toString()
      .split(',')[0];
    expect(token.length).toBeGreaterThan(20);
    expect(run.log).toContain(`::add-mask::${token}\n`);
  });

  test('basic auth with a modern image stops before writing anything', () => {
    const mark = auditMark();
    const run = runAction({ ...inputs, 'apiserver-enable-basic-auth': 'true' });
    expect(run.status).not.toBe(0);
    expect(run.log).toContain(
      'apiserver-enable-basic-auth: image "registry.k8s.io/kube-apiserver:v1.34.4" is Kubernetes 1.34, which removed basic auth',
    );
    expect(mark().total).toBe(0);
  });
});

describe('init variants', () => {
  test('NodePort with an advertise address, and no persistent storage', async () => {
    // The address of rivendell's node, where kube-proxy serves the NodePort.
    const [node] = (await clientFor('rivendell').list('v1', 'Node')).items as {
      status: { addresses: { type: string; address: string }[] };
    }[];
    const nodeIP = node.status.addresses.find((a) => a.type === 'InternalIP')?.address as string;
    const inputs = {
      ...base('fed-nodeport', 'rohan'),
      'api-server-service-type': 'NodePort',
      'api-server-advertise-address': nodeIP,
      'etcd-persistent-storage': 'false',
    };
    const run = runAction(inputs);
    expect(run.log).not.toMatch(/::error::/);
    expect(run.outputs.healthy).toBe('true');
    expect(run.outputs['federation-endpoint']).toMatch(
      new RegExp(`^https://${nodeIP.replaceAll('.', '\\.')}:3\\d{4}$`),
    );
    expect(
      await exists(
        clientFor('rivendell'),
        'v1',
        'PersistentVolumeClaim',
        'rohan-federation-apiserver-etcd-claim',
        'fed-nodeport',
      ),
    ).toBe(false);
    // With the address it was made with: without it the federation API is unknown, and destroy
    // keeps the control plane rather than strand the members' tokens (force is not wanted here).
    expect(runAction({ ...inputs, mode: 'destroy', wait: 'false' }).status).toBe(0);
  });

  test('an unknown host context names the contexts that exist', () => {
    const run = runAction({ ...base('fed-x', 'mordor'), 'host-cluster-context': 'mordor' });
    expect(run.status).not.toBe(0);
    expect(run.log).toContain(
      'host-cluster-context: context "mordor" is not in the kubeconfig; it has "gondor_needs-no_king", "noldor", "rivendell"',
    );
  });

  test('an unreachable host cluster gives a clear error', () => {
    const server = testenv().clusters[0].server;
    const run = runAction({
      ...base('fed-x', 'mordor'),
      kubeconfig: kubeconfigText().replace(server, 'https://127.0.0.1:3'),
    });
    expect(run.status).not.toBe(0);
    expect(run.log).toMatch(
      /host cluster \(context "rivendell"\): cannot list namespaces at https:\/\/127\.0\.0\.1:3: ECONNREFUSED/,
    );
  });

  test("a namespace that existed before is used, never labelled as the action's, and never deleted by destroy", async () => {
    const host = clientFor('rivendell');
    await host.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'platform' } });
    await host.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'workload', namespace: 'platform' },
      data: { keep: 'me' },
    });
    const inputs = { ...base('platform', 'gimli'), 'etcd-persistent-storage': 'false' };
    const run = runAction(inputs);
    expect(run.status).toBe(0);
    expect((await get(host, 'v1', 'Namespace', 'platform'))?.metadata?.labels ?? {}).toEqual({
      'kubernetes.io/metadata.name': 'platform',
    });
    expect(runAction(inputs).outputs.changed).toBe('false');

    const destroyed = runAction({ ...inputs, mode: 'destroy' });
    expect(destroyed.status).toBe(0);
    expect(await exists(host, 'v1', 'Namespace', 'platform')).toBe(true);
    expect((await get(host, 'v1', 'ConfigMap', 'workload', 'platform'))?.data).toEqual({ keep: 'me' });
    expect(await exists(host, 'apps/v1', 'Deployment', 'gimli-apiserver', 'platform')).toBe(false);
  });

  test('two first runs at once both succeed, with one CA between them', async () => {
    const inputs = { ...base('fed-race', 'arwen'), 'etcd-persistent-storage': 'false' };
    const [a, b] = await Promise.all([runActionAsync(inputs), runActionAsync(inputs)]);
    expect([a.status, b.status]).toEqual([0, 0]);
    const ca = (run: { outputs: Record<string, string> }) =>
      /certificate-authority-data: (\S+)/.exec(readFileSync(run.outputs.kubeconfig, 'utf8'))?.[1];
    expect(ca(a)).toBeDefined();
    expect(ca(a)).toBe(ca(b));
    expect(runAction({ ...inputs, mode: 'destroy' }).status).toBe(0);
  });
});
