// What `kubefedctl federate <type> <name>` makes of an existing object: its Federated<Kind>,
// with the object (minus what the servers and controllers set) as template, placed on every
// member cluster. Pure; follows kubefed v0.10.0 pkg/kubefedctl/federate.
import { federatedApi, isNamespaceType } from './federated-types.js';
import type { TargetType } from './federated-types.js';
import type { KubeObject } from './objects.js';

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The object as the federated object's template: no apiVersion, kind or status, and of its metadata
 * only the labels (everything else there, annotations included, is the system's or a controller's).
 * A few spec fields the member's own controllers allocate are dropped too, or every member would
 * be told to use the host's values.
 */
export function federatedTemplate(resource: KubeObject, type: TargetType): Fields {
  const template: Fields = structuredClone(resource);
  const labels = resource.metadata.labels;
  for (const field of ['apiVersion', 'kind', 'status', 'metadata']) delete template[field];
  const spec = isFields(template.spec) ? template.spec : undefined;
  if (type.group === '') {
    // Each API server puts its own finalizer on a Namespace.
    if (type.kind === 'Namespace' && spec) delete spec.finalizers;
    // The token controller fills a ServiceAccount's secrets in each cluster.
    if (type.kind === 'ServiceAccount') delete template.secrets;
    // ClusterIPs and node ports are allocated per cluster.
    if (type.kind === 'Service' && spec) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
      if (Array.isArray(spec.ports)) for (const port of spec.ports) if (isFields(port)) delete port.nodePort;
    }
  }
  return labels && Object.keys(labels).length > 0 ? { metadata: { labels: { ...labels } }, ...template } : template;
}

/**
 * The Federated<Kind> of `resource`: same name; in the object's namespace when the federated type
 * is namespaced (a FederatedNamespace lives in the namespace it federates, a FederatedClusterRole
 * nowhere); no labels or annotations of its own; placed on all members by an empty cluster selector.
 */
export function federatedObject(resource: KubeObject, type: TargetType): KubeObject {
  if (resource.kind !== type.kind) throw new Error(`a ${resource.kind} cannot be federated as a ${type.kind}`);
  const { name, namespace: objectNamespace } = resource.metadata;
  const namespace = isNamespaceType(type) ? name : type.scope === 'Namespaced' ? objectNamespace : undefined;
  const api = federatedApi(type);
  return {
    apiVersion: `${api.group}/${api.version}`,
    kind: api.kind,
    metadata: namespace ? { name, namespace } : { name },
    spec: {
      template: federatedTemplate(resource, type),
      placement: { clusterSelector: { matchLabels: {} } },
    },
  };
}
