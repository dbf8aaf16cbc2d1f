// Unit tests of kubefedctl's naming rules for any served type (pure): which resource a name means,
// the federated type enabling it makes (group and version included), what --contents leaves out,
// the namespaces dependency, the CRD a disable may delete, and the CLI's type flags and -f files.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApiResource,
  guessPlural,
  guessedTypeOf,
  lookupApiResource,
  skippedByContents,
  targetOf,
} from '../src/desired/federated-type-names.js';
import {
  KNOWN_TYPES,
  federatedCrd,
  federatedCrdName,
  namespaceDependencyProblem,
  typeConfig,
} from '../src/desired/federated-types.js';
import { InputError, parseSpec } from '../src/inputs/spec.js';
import { federatedTypeObjects } from '../src/desired/federation-objects.js';
import { disableTargetNamed, disableTargetOf } from '../src/phases/disable-types.js';
import { federateTarget, federatedFromFile, typeRequest } from '../src/entrypoints/cli-types.js';

const resource = (r: Partial<ApiResource> & Pick<ApiResource, 'name' | 'kind'>): ApiResource => ({
  group: '',
  version: 'v1',
  singularName: r.kind.toLowerCase(),
  namespaced: true,
  shortNames: [],
  verbs: ['get', 'list', 'create'],
  replicas: false,
  ...r,
});
const served = [
  resource({ name: 'events', kind: 'Event', shortNames: ['ev'] }),
  resource({ name: 'events', kind: 'Event', group: 'events.k8s.io', shortNames: ['ev'] }),
  resource({ name: 'statefulsets', kind: 'StatefulSet', group: 'apps', shortNames: ['sts'], replicas: true }),
  resource({ name: 'rings', kind: 'Ring', group: 'mordor.example', version: 'v1alpha1' }),
  resource({ name: 'rings', kind: 'Ring', group: 'elves.example' }),
  resource({ name: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'] }),
];

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe("kubefedctl's lookup of a type by name", () => {
  test('plural, singular, kind, short name and plural.group all find the type, in any case', () => {
    for (const name of ['statefulsets', 'statefulset', 'StatefulSet', 'sts', 'statefulsets.apps', 'STS'])
      expect(lookupApiResource(served, name)).toMatchObject({ group: 'apps', name: 'statefulsets' });
  });

  test('a core type wins over a same-named one in a group; two in groups need a group-qualified name', () => {
    expect(lookupApiResource(served, 'events')).toMatchObject({ group: '' });
    expect(lookupApiResource(served, 'rings')).toEqual({
      error:
        'multiple resources are matched by "rings": rings.mordor.example, rings.elves.example; ' +
        'give a group-qualified plural name',
    });
    expect(lookupApiResource(served, 'rings.mordor.example')).toMatchObject({ version: 'v1alpha1' });
    expect(lookupApiResource(served, 'horcruxes')).toEqual({
      error: 'the federation API serves no type named "horcruxes" (see kubectl api-resources)',
    });
  });

  test('the federated type of any served type: Federated<Kind>, federated<plural>, f<short>, replicas kept', () => {
    const sts = targetOf(lookupApiResource(served, 'sts') as ApiResource);
    const crd = federatedCrd(sts) as unknown as { metadata: { name: string }; spec: Record<string, unknown> };
    expect(crd.metadata.name).toBe('federatedstatefulsets.types.kubefed.io');
    expect(crd.spec).toMatchObject({
      group: 'types.kubefed.io',
      scope: 'Namespaced',
      names: { kind: 'FederatedStatefulSet', plural: 'federatedstatefulsets', shortNames: ['fsts'] },
      versions: [{ name: 'v1beta1' }],
    });
    expect(JSON.stringify(crd)).toContain('"retainReplicas":{"type":"boolean"}');
    expect(typeConfig(sts, 'fed').metadata.name).toBe('statefulsets.apps');
  });

  test('--federated-group and --federated-version name the federated type', () => {
    const ring = targetOf(lookupApiResource(served, 'rings.mordor.example') as ApiResource, {
      group: 'fed.mordor.example',
      version: 'v1alpha1',
    });
    expect(federatedCrdName(ring)).toBe('federatedrings.fed.mordor.example');
    expect((typeConfig(ring, 'fed').spec as Record<string, unknown>).federatedType).toEqual({
      group: 'fed.mordor.example',
      version: 'v1alpha1',
      kind: 'FederatedRing',
      pluralName: 'federatedrings',
      scope: 'Namespaced',
    });
    expect((typeConfig(ring, 'fed').spec as Record<string, unknown>).targetType).toEqual({
      group: 'mordor.example',
      version: 'v1alpha1',
      kind: 'Ring',
      pluralName: 'rings',
      scope: 'Namespaced',
    });
  });

  test("an object from a file gets apimachinery's guessed plural", () => {
    expect(['Ingress', 'NetworkPolicy', 'Endpoints', 'Deployment'].map(guessPlural)).toEqual([
      'ingresses',
      'networkpolicies',
      'endpoints',
      'deployments',
    ]);
    expect(guessedTypeOf({ apiVersion: 'mordor.example/v1alpha1', kind: 'Ring', metadata: {} })).toEqual({
      type: { group: 'mordor.example', version: 'v1alpha1', kind: 'Ring', plural: 'rings', scope: 'Cluster' },
    });
    expect(guessedTypeOf({ kind: 'Ring' })).toEqual({ error: 'has no apiVersion or kind' });
  });

  test('--contents leaves out what controllers make, the federation’s own groups, and what is skipped', () => {
    const left = (r: ApiResource, skip: string[] = []) => skippedByContents(r, skip);
    expect(left(served[0])).toBe(true); // events
    expect(left(served[5])).toBe(true); // cluster-scoped
    expect(left(resource({ name: 'dnsendpoints', kind: 'DNSEndpoint', group: 'externaldns.k8s.io' }))).toBe(true);
    expect(left(resource({ name: 'federatedservicestatuses', kind: 'X', group: 'core.kubefed.io' }))).toBe(true);
    expect(left(resource({ name: 'federatedrings', kind: 'FederatedRing', group: 'types.kubefed.io' }))).toBe(true);
    expect(left(served[2])).toBe(false);
    expect(left(served[2], ['apps'])).toBe(true);
    expect(left(served[2], ['sts'])).toBe(true);
    expect(left(resource({ name: 'configmaps', kind: 'ConfigMap', verbs: ['get'] }))).toBe(true);
  });
});

describe('the namespaces dependency (issue 19 item 13)', () => {
  const base = { 'federation-name': 'f', 'host-cluster-context': 'h', 'dns-provider': 'coredns' };
  const parse = (types: string) =>
    parseSpec((n) => ({ ...base, 'dns-zone-name': 'example.com.', 'federated-types': types })[n] ?? '', {
      readFile: () => '',
    });

  test('namespaced types without namespaces are refused, naming the dependency', () => {
    expect(problemsOf(() => parse('configmaps,deployments.apps,clusterroles.rbac.authorization.k8s.io'))).toEqual([
      'federated-types: configmaps, deployments.apps are namespaced and need namespaces: KubeFed runs no sync ' +
        'controller for a namespaced type without the namespaces type (FederatedNamespace); add namespaces',
    ]);
    expect(namespaceDependencyProblem([KNOWN_TYPES['clusterroles.rbac.authorization.k8s.io']])).toBeUndefined();
    expect(parse('ns,configmaps').federatedTypes).toEqual([KNOWN_TYPES.namespaces, KNOWN_TYPES.configmaps]);
  });

  test('a federated group of its own gets KubeFed the rights it has on types.kubefed.io', () => {
    const ring = targetOf(lookupApiResource(served, 'rings.mordor.example') as ApiResource, {
      group: 'fed.mordor.example',
      version: 'v1alpha1',
    });
    const objects = federatedTypeObjects(parse('namespaces'), [ring, KNOWN_TYPES.configmaps]);
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      'CustomResourceDefinition federatedrings.fed.mordor.example',
      expect.stringMatching(/^ClusterRole .+\.fed\.mordor\.example$/),
      expect.stringMatching(/^ClusterRoleBinding .+\.fed\.mordor\.example$/),
      'FederatedTypeConfig rings.mordor.example',
      'CustomResourceDefinition federatedconfigmaps.types.kubefed.io',
      'FederatedTypeConfig configmaps',
    ]);
    expect(objects[1].rules).toEqual([
      { apiGroups: ['fed.mordor.example'], resources: ['*'], verbs: ['get', 'watch', 'list', 'update', 'patch'] },
    ]);
  });

  test('any other type name is kept for discovery; a name that cannot be one is refused', () => {
    const spec = parse('namespaces,statefulsets.apps,Rings.Mordor.Example');
    expect(spec.discoveredTypeNames).toEqual(['statefulsets.apps', 'rings.mordor.example']);
    expect(problemsOf(() => parse('namespaces,rings/status'))).toEqual([
      'federated-types: "rings/status" is not a type name (a plural such as statefulsets.apps, or a kind)',
    ]);
  });
});

describe('the CRD a disable may delete is derived from the type (issue 19 item 14)', () => {
  test('from the FederatedTypeConfig’s name, or the resolved type, with the federated group', () => {
    expect(disableTargetNamed('jobs.batch')).toEqual({
      typeConfig: 'jobs.batch',
      crd: 'federatedjobs.types.kubefed.io',
    });
    expect(disableTargetNamed('rings.mordor.example', 'fed.mordor.example').crd).toBe(
      'federatedrings.fed.mordor.example',
    );
    expect(disableTargetOf(KNOWN_TYPES.configmaps)).toEqual({
      typeConfig: 'configmaps',
      crd: 'federatedconfigmaps.types.kubefed.io',
    });
  });
});

describe("the CLI's type flags", () => {
  test('enable and disable check --federated-group and --federated-version as KubeFed would', () => {
    expect(typeRequest('enable', 'sts', {})).toEqual({ request: { name: 'sts' }, crds: 'keep' });
    expect(typeRequest('enable', 'sts', { federatedGroup: 'fed.example', federatedVersion: 'v1' })).toEqual({
      request: { name: 'sts', federated: { group: 'fed.example', version: 'v1' } },
      crds: 'keep',
    });
    expect(typeRequest('disable', 'sts', { deleteCrd: true }).crds).toBe('delete');
    expect(typeRequest('disable', 'sts', { deleteCrd: 'false' }).crds).toBe('keep');
    expect(problemsOf(() => typeRequest('enable', 'x', { federatedGroup: 'fed', federatedVersion: '1' }))).toEqual([
      '--federated-group: "fed" must be a domain with a dot',
      '--federated-version: "1" is not an API version such as v1beta1',
    ]);
    expect(problemsOf(() => typeRequest('disable', 'x', { federatedGroup: 'fed.example' }))).toEqual([
      '--federated-group: only with --delete-crd (it names the group of the CRD to delete)',
    ]);
  });

  test('federate checks its arguments and flags before anything is read', () => {
    expect(problemsOf(() => federateTarget(undefined, undefined, {}, false))).toEqual([
      'type: the type of the object is required (or -f FILE)',
    ]);
    expect(problemsOf(() => federateTarget('cm', 'ring', { enableType: true, skipApiResources: 'a' }, true))).toEqual([
      '--enable-type: -o yaml|json only prints; it enables nothing',
      '--skip-api-resources: only with --contents',
    ]);
    expect(federateTarget('ns', 'mordor', { contents: true, skipApiResources: 'Secrets, apps' }, false)).toEqual({
      type: 'ns',
      name: 'mordor',
      namespace: 'default',
      enableType: false,
      overwrite: false,
      contents: { skip: ['secrets', 'apps'] },
      printOnly: false,
    });
  });

  test('-f: every object of a multi-document file (a List’s items each) becomes its Federated<Kind>', () => {
    const dir = mkdtempSync(join(tmpdir(), 'federate-f-'));
    const file = join(dir, 'objects.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ring, namespace: mordor, uid: x}\ndata: {a: b}\n---\n' +
        'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: mordor.example/v1alpha1, kind: Ring, metadata: {name: one}}\n',
    );
    expect(federatedFromFile(file, {}, [undefined, undefined])).toEqual([
      {
        apiVersion: 'types.kubefed.io/v1beta1',
        kind: 'FederatedConfigMap',
        metadata: { name: 'ring', namespace: 'mordor' },
        spec: { template: { data: { a: 'b' } }, placement: { clusterSelector: { matchLabels: {} } } },
      },
      {
        apiVersion: 'types.kubefed.io/v1beta1',
        kind: 'FederatedRing',
        metadata: { name: 'one' },
        spec: { template: {}, placement: { clusterSelector: { matchLabels: {} } } },
      },
    ]);
    writeFileSync(file, 'kind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\n');
    expect(problemsOf(() => federatedFromFile(file, {}, [undefined, undefined]))).toEqual([
      '-f: object 1 has no apiVersion or kind',
      '-f: object 2 has no metadata.name',
    ]);
    expect(problemsOf(() => federatedFromFile(file, { contents: true }, ['cm', undefined]))).toEqual([
      '-f: TYPE and NAME, --contents cannot be used with a file (it only prints)',
    ]);
  });
});
