// kubefedctl parity for daily work, through the built CLI against testenv's clusters and the real
// KubeFed v0.10.0: the host is the current context unless named; enable of any served type (a CRD
// included) under kubefedctl's names; disable keeping the CRD unless --delete-crd, deriving its
// name from the type and counting its objects again after KubeFed stops; the namespaces
// dependency; federate --contents, -f and --overwrite; orphaning-deletion.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditMark, eventually, get, objectClient } from './helpers/testenv.js';
import { userShell } from './helpers/shell.js';

const { home, kubeconfig, setUp, sh, start } = userShell('parity');
const NS = 'parity-system';
/** Every command names the control plane's namespace; none names the host (the current context is). */
const K = `--kubefed-namespace=${NS}`;
const FTC = 'core.kubefed.io/v1beta1';
const TYPES = 'types.kubefed.io/v1beta1';
const CRD = 'apiextensions.k8s.io/v1';

/** The same, in the background: the test acts on the servers while the command waits. */
function shAsync(line: string): Promise<{ status: number | null; stderr: string }> {
  const child = start(line);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.on('close', (status) => done({ status, stderr })));
}

let federation: KubernetesObjectApi;
const fed = (apiVersion: string, kind: string, name: string, namespace?: string) =>
  get(federation, apiVersion, kind, name, namespace);
const create = (o: object) => federation.create(o as KubernetesObject);

/** A CRD of the user's own in the federation API: rings.mordor.example, with an int32 spec.replicas. */
const RINGS = {
  apiVersion: CRD,
  kind: 'CustomResourceDefinition',
  metadata: { name: 'rings.mordor.example' },
  spec: {
    group: 'mordor.example',
    scope: 'Namespaced',
    names: { kind: 'Ring', plural: 'rings', singular: 'ring', shortNames: ['rg'] },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } },
            },
          },
        },
      },
    ],
  },
};

describe('kubefedctl parity for daily work', () => {
  beforeAll(setUp);

  afterAll(() => {
    sh(`kubefed destroy shire ${K}`, { KUBEFED_TIMEOUT: '60s' });
  });

  test('without --host-cluster-context the current context is the host, as with kubefedctl', () => {
    const dns =
      '--dns-provider=coredns --dns-zone-name=example.com. --dns-provider-config="$HOME/coredns-provider.conf"';
    const run = sh(`kubefed init shire ${dns} ${K}`);
    expect(run.stderr).toContain('federation shire converged');
    expect(run.status).toBe(0);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    expect(kc.getCurrentContext()).toBe('rivendell');
    kc.setCurrentContext('shire');
    federation = objectClient(kc);

    writeFileSync(
      join(home, 'no-current'),
      yaml.dump({ ...(yaml.load(kc.exportConfig()) as object), 'current-context': '' }),
    );
    const mark = auditMark();
    const none = sh(`kubefed enable statefulsets.apps ${K}`, { KUBECONFIG: join(home, 'no-current') });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('host-cluster-context: not given, and the kubeconfig has no current context');
    expect(mark().total).toBe(0);
  });

  test("enable of any served type, a CRD included, under kubefedctl's names; KubeFed runs it", async () => {
    await create(RINGS);
    await eventually(
      () => fed(CRD, 'CustomResourceDefinition', 'rings.mordor.example'),
      (c) => (c?.status?.conditions ?? []).some((x: { type: string }) => x.type === 'Established'),
    );
    const run = sh(`kubefed enable rg ${K}`);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`create FederatedTypeConfig ${NS}/rings.mordor.example on federation`);
    const crd = await fed(CRD, 'CustomResourceDefinition', 'federatedrings.types.kubefed.io');
    expect(crd?.spec.names).toMatchObject({ kind: 'FederatedRing', shortNames: ['frg'] });
    expect(crd?.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.retainReplicas).toEqual({
      type: 'boolean',
    });
    const ftc = await eventually(
      () => fed(FTC, 'FederatedTypeConfig', 'rings.mordor.example', NS),
      (f) => f?.status?.propagationController === 'Running',
    );
    expect(ftc?.spec.targetType).toEqual({
      group: 'mordor.example',
      version: 'v1alpha1',
      kind: 'Ring',
      pluralName: 'rings',
      scope: 'Namespaced',
    });
    expect(sh(`kubefed enable rings.mordor.example ${K}`).outputs.changed).toBe('false');

    // A built-in type beyond kubefedctl's ten, named by its singular, under a federated group of its own.
    const sts = sh(`kubefed enable statefulset --federated-group=fed.mordor.example --federated-version=v1alpha1 ${K}`);
    expect(sts.status).toBe(0);
    expect(
      (await fed(CRD, 'CustomResourceDefinition', 'federatedstatefulsets.fed.mordor.example'))?.spec.versions[0].name,
    ).toBe('v1alpha1');
    await eventually(
      () => fed(FTC, 'FederatedTypeConfig', 'statefulsets.apps', NS),
      (f) => f?.status?.propagationController === 'Running',
    );
    const unknown = sh(`kubefed enable horcruxes ${K}`);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('type: the federation API serves no type named "horcruxes"');
  });

  test('disable keeps the CRD; --delete-crd deletes it, and is refused while objects of it exist', async () => {
    const run = sh(`kubefed disable statefulsets.apps ${K}`);
    expect(run.status).toBe(0);
    expect(await fed(FTC, 'FederatedTypeConfig', 'statefulsets.apps', NS)).toBeUndefined();
    expect(await fed(CRD, 'CustomResourceDefinition', 'federatedstatefulsets.fed.mordor.example')).toBeDefined();
    const again = sh(`kubefed disable statefulsets.apps --delete-crd --federated-group=fed.mordor.example ${K}`);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`FederatedTypeConfig "${NS}/statefulsets.apps" does not exist`);
    expect(await fed(CRD, 'CustomResourceDefinition', 'federatedstatefulsets.fed.mordor.example')).toBeUndefined();

    await create({
      apiVersion: TYPES,
      kind: 'FederatedRing',
      metadata: { name: 'one', namespace: 'default' },
      spec: {},
    });
    const mark = auditMark();
    const refused = sh(`kubefed disable rings.mordor.example --delete-crd ${K}`);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      '--delete-crd: cannot delete CRD "federatedrings.types.kubefed.io" while 1 object(s) of it exist',
    );
    expect(mark().total).toBe(0);
    expect(await fed(FTC, 'FederatedTypeConfig', 'rings.mordor.example', NS)).toBeDefined();
    await federation.delete({
      apiVersion: TYPES,
      kind: 'FederatedRing',
      metadata: { name: 'one', namespace: 'default' },
    });
    // KubeFed's finalizer goes once it has nothing left in the members.
    await eventually(
      () => fed(TYPES, 'FederatedRing', 'one', 'default'),
      (o) => o === undefined,
    );
  });

  test('the CRD disable deletes is the type’s own, whatever its FederatedTypeConfig says', async () => {
    // An edited FederatedTypeConfig points jobs.batch at FederatedSecret's CRD.
    await federation.patch(
      {
        apiVersion: FTC,
        kind: 'FederatedTypeConfig',
        metadata: { name: 'jobs.batch', namespace: NS },
        spec: { federatedType: { kind: 'FederatedSecret', pluralName: 'federatedsecrets' } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect((await fed(FTC, 'FederatedTypeConfig', 'jobs.batch', NS))?.spec.federatedType.pluralName).toBe(
      'federatedsecrets',
    );
    const run = sh(`kubefed disable jobs.batch --delete-crd ${K}`);
    expect(run.status).toBe(0);
    expect(await fed(CRD, 'CustomResourceDefinition', 'federatedjobs.types.kubefed.io')).toBeUndefined();
    expect(await fed(CRD, 'CustomResourceDefinition', 'federatedsecrets.types.kubefed.io')).toBeDefined();
  });

  test('an object created while KubeFed stops propagating keeps its CRD', async () => {
    // Our own finalizer holds the FederatedTypeConfig, so the object is made while disable waits.
    const ref = {
      apiVersion: FTC,
      kind: 'FederatedTypeConfig',
      metadata: { name: 'rings.mordor.example', namespace: NS },
    };
    const setFinalizers = (finalizers: string[]) =>
      federation.patch(
        { ...ref, metadata: { ...ref.metadata, finalizers } },
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
    const ring = await fed(FTC, 'FederatedTypeConfig', 'rings.mordor.example', NS);
    await setFinalizers([...(ring?.metadata?.finalizers ?? []), 'parity.test/hold']);
    const disabling = shAsync(`kubefed disable rings.mordor.example --delete-crd ${K}`);
    // KubeFed has stopped propagating the type (its own finalizer is gone); ours holds it.
    await eventually(
      () => fed(FTC, 'FederatedTypeConfig', 'rings.mordor.example', NS),
      (f) => f?.metadata?.deletionTimestamp !== undefined && f?.metadata?.finalizers?.join() === 'parity.test/hold',
    );
    await create({
      apiVersion: TYPES,
      kind: 'FederatedRing',
      metadata: { name: 'two', namespace: 'default' },
      spec: {},
    });
    await setFinalizers([]);
    const done = await disabling;
    expect(done.stderr).toContain(
      'CRD federatedrings.types.kubefed.io kept: 1 object(s) of it were created while KubeFed stopped',
    );
    expect(done.status).toBe(1);
    expect(await fed(CRD, 'CustomResourceDefinition', 'federatedrings.types.kubefed.io')).toBeDefined();
    expect(await fed(TYPES, 'FederatedRing', 'two', 'default')).toBeDefined();
  });

  test('namespaces cannot be disabled while namespaced types are enabled', async () => {
    const mark = auditMark();
    const run = sh(`kubefed disable namespaces ${K}`);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /namespaces cannot be disabled while configmaps, .*services.* are enabled: KubeFed runs no sync controller/,
    );
    expect(mark().total).toBe(0);
    expect(await fed(FTC, 'FederatedTypeConfig', 'namespaces', NS)).toBeDefined();
  });

  test('federate --contents, --skip-api-resources and --enable-type: a namespace with what it holds', async () => {
    await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mordor' } });
    await create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ring', namespace: 'mordor' },
      data: { a: 'b' },
    });
    await create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'key', namespace: 'mordor' }, data: {} });
    await create({
      apiVersion: 'mordor.example/v1alpha1',
      kind: 'Ring',
      metadata: { name: 'three', namespace: 'mordor' },
    });
    const refused = sh(`kubefed federate ns mordor --contents ${K}`);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('rings.mordor.example: the type is not enabled in federation shire');

    const run = sh(`kubefed federate ns mordor --contents --skip-api-resources=secrets --enable-type ${K}`);
    expect(run.status).toBe(0);
    expect(await fed(TYPES, 'FederatedNamespace', 'mordor', 'mordor')).toBeDefined();
    expect((await fed(TYPES, 'FederatedConfigMap', 'ring', 'mordor'))?.spec.template).toEqual({ data: { a: 'b' } });
    expect(await fed(TYPES, 'FederatedRing', 'three', 'mordor')).toBeDefined();
    expect(await fed(TYPES, 'FederatedSecret', 'key', 'mordor')).toBeUndefined();
    expect(await fed(FTC, 'FederatedTypeConfig', 'rings.mordor.example', NS)).toBeDefined();
    expect(sh(`kubefed federate cm ring -n mordor ${K}`).outputs.changed).toBe('false');
  });

  test('federate refuses a Federated<Kind> it did not make, unless --overwrite', async () => {
    await create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'hand', namespace: 'mordor' },
      data: { x: 'y' },
    });
    const placement = { clusters: [{ name: 'gondor' }] };
    await create({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'hand', namespace: 'mordor' },
      spec: { template: { data: { x: 'mine' } }, placement },
    });
    const mark = auditMark();
    const refused = sh(`kubefed federate cm hand -n mordor ${K}`);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      'FederatedConfigMap mordor/hand already exists and was not made by kubefed federate; --overwrite replaces',
    );
    expect(mark().total).toBe(0);
    expect((await fed(TYPES, 'FederatedConfigMap', 'hand', 'mordor'))?.spec.placement).toEqual(placement);
    const run = sh(`kubefed federate cm hand -n mordor --overwrite ${K}`);
    expect(run.status).toBe(0);
    expect((await fed(TYPES, 'FederatedConfigMap', 'hand', 'mordor'))?.spec).toMatchObject({
      template: { data: { x: 'y' } },
      placement: { clusterSelector: { matchLabels: {} } },
    });
  });

  test('federate -f: the objects of a file or stdin, printed, with no cluster at all', () => {
    const run = sh(
      "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: ring, namespace: mordor}\\ndata: {a: b}\\n' | " +
        'kubefed federate -f -',
      { KUBECONFIG: join(home, 'missing') },
    );
    expect(run.status).toBe(0);
    expect(yaml.load(run.stdout)).toEqual({
      apiVersion: TYPES,
      kind: 'FederatedConfigMap',
      metadata: { name: 'ring', namespace: 'mordor' },
      spec: { template: { data: { a: 'b' } }, placement: { clusterSelector: { matchLabels: {} } } },
    });
  });

  test('orphaning-deletion enable, status and disable: the kubefed.io/orphan annotation', async () => {
    const status = () => sh(`kubefed orphaning-deletion status FederatedConfigMap ring -n mordor ${K}`).stdout;
    const annotation = async () =>
      (await fed(TYPES, 'FederatedConfigMap', 'ring', 'mordor'))?.metadata?.annotations?.['kubefed.io/orphan'];
    expect(status()).toBe('Disabled\n');
    expect(sh(`kubefed orphaning-deletion enable fcm ring -n mordor ${K}`).status).toBe(0);
    expect(await annotation()).toBe('true');
    expect(status()).toBe('Enabled\n');
    expect(sh(`kubefed orphaning-deletion enable federatedconfigmaps ring -n mordor ${K}`).outputs.changed).toBe(
      'false',
    );
    expect(sh(`kubefed orphaning-deletion disable FederatedConfigMap ring -n mordor ${K}`).status).toBe(0);
    expect(await annotation()).toBeUndefined();
    expect(status()).toBe('Disabled\n');
    const plain = sh(`kubefed orphaning-deletion status configmaps ring -n mordor ${K}`);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toContain('type: ConfigMap is not a federated type; name its FederatedConfigMap');
  });

  test('every new command and flag has examples in its help', () => {
    for (const command of ['enable', 'disable', 'federate', 'orphaning-deletion', 'orphaning-deletion status']) {
      const help = sh(`kubefed ${command} --help`).stdout;
      expect(help).toMatch(/\nExamples:\n {2}# .+\n {2}\$ kubefed /);
    }
    expect(sh('kubefed disable --help').stdout).toContain('--delete-crd');
    expect(sh('kubefed federate --help').stdout).toContain('kubefed federate -f ring.yaml');
  });
});
