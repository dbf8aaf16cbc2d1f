// The REST names of the kinds the action reads and writes, known ahead: the client would
// otherwise ask each server for its API discovery before the first request of every group
// version (once per cluster, and again for each request sent before the first answer came).
// Kinds not listed here are still found through discovery.
import { KubernetesObjectApi, V1APIResource } from '@kubernetes/client-node';
import { dnsEndpointCrd } from '../desired/dns-objects.js';
import { KNOWN_TYPES, federatedCrd } from '../desired/federated-types.js';
import { kubeFedCrds } from '../desired/kubefed-crds.js';
import type { KubeObject } from '../desired/objects.js';

type Mapping = Record<string, Record<string, { plural: string; namespaced: boolean }>>;

/** The built-in kinds the action touches (an e2e test holds them to a real server's discovery). */
export const BUILT_IN: [apiVersion: string, kind: string, plural: string, namespaced: boolean][] = [
  ['v1', 'Namespace', 'namespaces', false],
  ['v1', 'Secret', 'secrets', true],
  ['v1', 'ServiceAccount', 'serviceaccounts', true],
  ['v1', 'ConfigMap', 'configmaps', true],
  ['v1', 'Service', 'services', true],
  ['v1', 'Pod', 'pods', true],
  ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
  ['v1', 'PersistentVolume', 'persistentvolumes', false],
  ['apps/v1', 'Deployment', 'deployments', true],
  ['storage.k8s.io/v1', 'StorageClass', 'storageclasses', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['rbac.authorization.k8s.io/v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
];

/** Built-in kinds, and those of the CRDs the action itself creates (read off their definitions). */
function mapping(): Mapping {
  const out: Mapping = {};
  const add = (apiVersion: string, kind: string, plural: string, namespaced: boolean) =>
    ((out[apiVersion] ??= {})[kind] = { plural, namespaced });
  for (const [apiVersion, kind, plural, namespaced] of BUILT_IN) add(apiVersion, kind, plural, namespaced);
  const crds: KubeObject[] = [...kubeFedCrds(), dnsEndpointCrd(), ...Object.values(KNOWN_TYPES).map(federatedCrd)];
  for (const crd of crds) {
    const spec = crd.spec as {
      group: string;
      scope: string;
      names: { kind: string; plural: string };
      versions: { name: string }[];
    };
    for (const version of spec.versions)
      add(`${spec.group}/${version.name}`, spec.names.kind, spec.names.plural, spec.scope === 'Namespaced');
  }
  return out;
}

let known: Mapping | undefined;

/** The client's object API, answering the REST mapping of known kinds without a request. */
export class MappedObjectApi extends KubernetesObjectApi {
  override async resource(apiVersion: string, kind: string, ...rest: unknown[]): Promise<V1APIResource | undefined> {
    const found = (known ??= mapping())[apiVersion]?.[kind];
    if (found) return { kind, name: found.plural, namespaced: found.namespaced, singularName: '', verbs: [] };
    return (super.resource as (...a: unknown[]) => Promise<V1APIResource | undefined>).call(
      this,
      apiVersion,
      kind,
      ...rest,
    );
  }
}
