// The kubefed-compatible CLI: every command of the guide, run by a shell exactly as the guide
// writes it (with `kubefed` on PATH as the built dist/cli.js, KUBECONFIG naming a copy of the
// test clusters' kubeconfig, and $HOME holding the guide's coredns-provider.conf).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { auditMark, clientFor, get, testenv } from './helpers/testenv.js';
import { VERSION } from '../src/version.js';

const home = mkdtempSync(join(tmpdir(), 'kubefed-cli-'));
const kubeconfig = join(home, '.kube', 'config');
const NS = 'federation-system';

/** Runs one shell command line as a user would type it. */
function sh(line: string, env: Record<string, string> = {}) {
  const result = spawnSync('sh', ['-c', line], {
    encoding: 'utf8',
    timeout: 170_000,
    env: { PATH: `${join(home, 'bin')}:${process.env.PATH}`, HOME: home, KUBECONFIG: kubeconfig, KUBEFED_TIMEOUT: '90s', ...env },
  });
  const outputs = Object.fromEntries(result.stdout.split('\n').filter((l) => /^[a-z-]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs };
}

const rivendell = () => clientFor('rivendell');
const apiServerArgs = async () => ((await get(rivendell(), 'apps/v1', 'Deployment', 'fellowship-apiserver', NS))?.spec.template.spec.containers[0].args ?? []) as string[];

describe('the kubefed CLI runs the guide as written', () => {
  beforeAll(() => {
    mkdirSync(join(home, 'bin'));
    writeFileSync(join(home, 'bin', 'kubefed'), `#!/bin/sh\nexec '${process.execPath}' '${resolve('dist/cli.js')}' "$@"\n`, { mode: 0o755 });
    mkdirSync(join(home, '.kube'));
    copyFileSync(testenv().kubeconfig, kubeconfig);
    writeFileSync(join(home, 'coredns-provider.conf'), '[Global]\netcd-endpoints = http://etcd-cluster.ns:2379\nzones = example.com.\n');
  });

  afterAll(() => {
    sh('kubefed destroy fellowship --host-cluster-context=rivendell', { KUBEFED_TIMEOUT: '60s' });
  });

  test('kubefed version', () => {
    const run = sh('kubefed version');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`kubefed ${VERSION}\n`);
  });

  test('kubefed init deploys the control plane and adds the federation context to the kubeconfig', async () => {
    const run = sh(`kubefed init fellowship \\
    --host-cluster-context=rivendell \\
    --dns-provider="google-clouddns" \\
    --dns-zone-name="example.com."`);
    expect(run.stderr).toContain('federation fellowship converged');
    expect(run.status).toBe(0);
    expect(run.outputs.healthy).toBe('true');
    expect(run.outputs.kubeconfig).toBe(kubeconfig);
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    // kubectl get namespace --context=fellowship: `default` is there (the guide's known bug is fixed).
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    expect(kc.getCurrentContext()).toBe('rivendell'); // kubefed init does not switch the context
    kc.setCurrentContext('fellowship');
    const namespaces = await KubernetesObjectApi.makeApiClient(kc).list('v1', 'Namespace');
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['default', NS]));
    for (const secret of [...readFileSync(kubeconfig, 'utf8').matchAll(/client-key-data: (\S+)/g)].map((m) => m[1])) expect(run.stderr + run.stdout).not.toContain(secret);
  });

  test('basic auth with the default (1.19+) image is refused before any write', () => {
    const mark = auditMark();
    const run = sh(`kubefed init fellowship \\
    --host-cluster-context=rivendell \\
    --dns-provider="google-clouddns" \\
    --dns-zone-name="example.com." \\
    --apiserver-enable-basic-auth=true \\
    --apiserver-enable-token-auth=true`);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/apiserver-enable-basic-auth: image "registry\.k8s\.io\/kube-apiserver:v1\.34\.4" is Kubernetes 1\.34, which removed basic auth.*\nnothing was changed/s);
    expect(mark().total).toBe(0);
  });

  test("the guide's controller manager override is a kubefed v1 flag KubeFed does not have: refused before any write", () => {
    const mark = auditMark();
    const run = sh(`kubefed init fellowship \\
    --host-cluster-context=rivendell \\
    --dns-provider="google-clouddns" \\
    --dns-zone-name="example.com." \\
    --apiserver-arg-overrides="--anonymous-auth=false,--v=4" \\
    --controllermanager-arg-overrides="--controllers=services=false"`);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/controllermanager-arg-overrides: --controllers is not a flag of the KubeFed controller manager.*\nnothing was changed/s);
    expect(mark().total).toBe(0);
  });

  test('argument overrides reach the API server and the controller manager', async () => {
    const run = sh(`kubefed init fellowship \\
    --host-cluster-context=rivendell \\
    --dns-provider="google-clouddns" \\
    --dns-zone-name="example.com." \\
    --apiserver-arg-overrides="--anonymous-auth=false,--v=4" \\
    --controllermanager-arg-overrides="--v=4,--rest-config-qps=50"`);
    expect(run.status).toBe(0);
    expect(await apiServerArgs()).toEqual(expect.arrayContaining(['--anonymous-auth=false', '--v=4']));
    const cm = await get(rivendell(), 'apps/v1', 'Deployment', 'fellowship-controller-manager', NS);
    expect(cm?.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--v=4', '--rest-config-qps=50']));
  });

  test('kubefed disable and enable a type, as kubefedctl does', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    kc.setCurrentContext('fellowship');
    const federation = KubernetesObjectApi.makeApiClient(kc);
    const disabled = sh('kubefed disable jobs.batch --host-cluster-context=rivendell');
    expect(disabled.stderr).toContain('delete FederatedTypeConfig federation-system/jobs.batch on federation');
    expect(disabled.status).toBe(0);
    expect(await get(federation, 'core.kubefed.io/v1beta1', 'FederatedTypeConfig', 'jobs.batch', NS)).toBeUndefined();
    expect(await get(federation, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'federatedjobs.types.kubefed.io')).toBeUndefined();

    const enabled = sh('kubefed enable jobs.batch --host-cluster-context=rivendell');
    expect(enabled.status).toBe(0);
    expect(enabled.stderr).toContain('create FederatedTypeConfig federation-system/jobs.batch on federation');
    const ftc = await get(federation, 'core.kubefed.io/v1beta1', 'FederatedTypeConfig', 'jobs.batch', NS);
    expect(ftc?.spec).toMatchObject({ targetType: { group: 'batch', kind: 'Job', pluralName: 'jobs', scope: 'Namespaced' }, propagation: 'Enabled' });
    expect(sh('kubefed enable jobs.batch --host-cluster-context=rivendell').outputs.changed).toBe('false');
    const unknown = sh('kubefed enable horcruxes --host-cluster-context=rivendell');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('federated-types: "horcruxes" is not a type this action can enable');
  });

  test('a CoreDNS provider with its configuration file', async () => {
    const run = sh(`kubefed init fellowship \\
    --host-cluster-context=rivendell \\
    --dns-provider="coredns" \\
    --dns-zone-name="example.com." \\
    --dns-provider-config="$HOME/coredns-provider.conf"`);
    expect(run.status).toBe(0);
    const secret = await get(rivendell(), 'v1', 'Secret', 'fellowship-dns-provider-config', NS);
    expect(Object.values((secret?.data ?? {}) as Record<string, string>).map((v) => Buffer.from(v, 'base64').toString())).toContain(readFileSync(join(home, 'coredns-provider.conf'), 'utf8'));
  });

  test('without persistent storage for etcd', async () => {
    const run = sh(`kubefed init fellowship \\
    --host-cluster-context=rivendell \\
    --dns-provider="google-clouddns" \\
    --dns-zone-name="example.com." \\
    --etcd-persistent-storage=false`);
    expect(run.status).toBe(0);
    const volumes = (await get(rivendell(), 'apps/v1', 'Deployment', 'fellowship-apiserver', NS))?.spec.template.spec.volumes as { name: string; emptyDir?: object }[];
    expect(volumes.find((v) => v.name === 'etcd-data')?.emptyDir).toEqual({});
  });

  test('kubefed join with a context that is not a valid name fails clearly; --cluster-context joins it', async () => {
    const plain = sh('kubefed join gondor --host-cluster-context=rivendell');
    expect(plain.status).toBe(2);
    expect(plain.stderr).toContain('cluster-context: context "gondor" is not in the kubeconfig; it has "gondor_needs-no_king", "noldor", "rivendell", "fellowship"');

    const run = sh('kubefed join gondor --host-cluster-context=rivendell --cluster-context=gondor_needs-no_king');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.outputs['joined-clusters'])).toEqual(['gondor']);
    expect(run.outputs.healthy).toBe('true');
    expect((await get(clientFor('gondor_needs-no_king'), 'v1', 'ConfigMap', 'kube-dns', 'kube-system'))?.data?.federations).toContain('fellowship=example.com');
  });

  test('kubefed join with --secret-name', async () => {
    const run = sh('kubefed join noldor --host-cluster-context=rivendell --secret-name=11kingdom');
    expect(run.status).toBe(0);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    kc.setCurrentContext('fellowship');
    const kfc = await get(KubernetesObjectApi.makeApiClient(kc), 'core.kubefed.io/v1beta1', 'KubeFedCluster', 'noldor', NS);
    expect(kfc?.spec.secretRef).toEqual({ name: '11kingdom' });
  });

  test('kubefed unjoin removes what join made', async () => {
    const run = sh('kubefed unjoin gondor --host-cluster-context=rivendell');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.outputs['unjoined-clusters'])).toEqual(['gondor']);
    expect(await get(clientFor('gondor_needs-no_king'), 'v1', 'ServiceAccount', 'kubefed.fellowship.gondor', 'kube-system')).toBeUndefined();
    expect(sh('kubefed unjoin gondor --host-cluster-context=rivendell').stderr).toMatch(/cluster "gondor": is not a member of federation fellowship/);
  });

  test('plan and check find the federation\u2019s settings on the host; destroy takes it all down', async () => {
    const mark = auditMark();
    expect(sh('kubefed check fellowship --host-cluster-context=rivendell --clusters=noldor').stderr).toContain('federation fellowship is healthy');
    // noldor was joined with secret name 11kingdom; listed without it, the plan moves it back to "noldor".
    const plan = JSON.parse(sh('kubefed plan fellowship --host-cluster-context=rivendell --clusters=noldor --etcd-persistent-storage=false').outputs.plan);
    expect(plan).toEqual([
      expect.objectContaining({ action: 'create', cluster: 'federation', kind: 'Secret', name: 'noldor' }),
      expect.objectContaining({ action: 'update', cluster: 'federation', kind: 'KubeFedCluster', name: 'noldor' }),
    ]);
    expect(mark().total).toBe(0);
    const run = sh('kubefed destroy fellowship --host-cluster-context=rivendell');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.outputs['unjoined-clusters'])).toEqual(['noldor']);
    expect(await get(rivendell(), 'v1', 'Namespace', NS)).toBeUndefined();
  });

  test('NodePort with an advertise address the test machine cannot reach: the host side converges, then a clear timeout', async () => {
    const run = sh(`kubefed init fellowship \\
    --host-cluster-context=rivendell \\
    --dns-provider="google-clouddns" \\
    --dns-zone-name="example.com." \\
    --api-server-service-type="NodePort" \\
    --api-server-advertise-address="10.0.10.20"`, { KUBEFED_TIMEOUT: '8s' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/timed out after 8s waiting for the federation API at https:\/\/10\.0\.10\.20:\d+/);
    expect((await get(rivendell(), 'v1', 'Service', 'fellowship-apiserver', NS))?.spec.type).toBe('NodePort');
    expect(await apiServerArgs()).toContain('--advertise-address=10.0.10.20');
  });
});
