// The federated types, as `kubefedctl enable` makes them: for a target type, a
// Federated<Kind> CRD in types.kubefed.io (placement, overrides, and the target's object as
// template) and a FederatedTypeConfig that tells KubeFed to propagate it. Pure.
import { KUBEFED_ALPHA, KUBEFED_API, KUBEFED_GROUP, OPEN, crd } from './kubefed-crds.js';
import type { KubeObject } from './objects.js';

export const FEDERATED_GROUP = 'types.kubefed.io';
export const FEDERATED_VERSION = 'v1beta1';

export interface TargetType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  scope: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  /** The target's spec has integer replicas (the federated type may retain members' counts). */
  replicas?: boolean;
  /** kubefedctl's --federated-group and --federated-version; default types.kubefed.io/v1beta1. */
  federated?: { group: string; version: string };
}

/** The federated type of a target, named as kubefedctl names it: Federated<Kind>, federated<plural>. */
export function federatedApi(t: TargetType) {
  return {
    group: t.federated?.group ?? FEDERATED_GROUP,
    version: t.federated?.version ?? FEDERATED_VERSION,
    kind: `Federated${t.kind}`,
    plural: `federated${t.plural}`,
    scope: federatedScope(t),
  };
}

/** The federated type's CRD name, derived from the type alone (never read from a server's object). */
export function federatedCrdName(t: TargetType): string {
  const api = federatedApi(t);
  return `${api.plural}.${api.group}`;
}

/** Whether t is the core group's Namespace (its federated type is the one the others depend on). */
export const isNamespaceType = (t: Pick<TargetType, 'group' | 'kind'>): boolean =>
  t.group === '' && t.kind === 'Namespace';

const core = (kind: string, plural: string, scope: TargetType['scope'], shortNames?: string[]): TargetType => ({
  group: '',
  version: 'v1',
  kind,
  plural,
  scope,
  shortNames,
});

/** The types kubefedctl's directives enable by default, by the name `federated-types` uses. */
export const KNOWN_TYPES: Record<string, TargetType> = {
  namespaces: core('Namespace', 'namespaces', 'Cluster', ['ns']),
  configmaps: core('ConfigMap', 'configmaps', 'Namespaced', ['cm']),
  secrets: core('Secret', 'secrets', 'Namespaced'),
  serviceaccounts: core('ServiceAccount', 'serviceaccounts', 'Namespaced', ['sa']),
  services: core('Service', 'services', 'Namespaced', ['svc']),
  'deployments.apps': {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    scope: 'Namespaced',
    shortNames: ['deploy'],
    replicas: true,
  },
  'replicasets.apps': {
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    scope: 'Namespaced',
    shortNames: ['rs'],
    replicas: true,
  },
  'jobs.batch': { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', scope: 'Namespaced' },
  'ingresses.networking.k8s.io': {
    group: 'networking.k8s.io',
    version: 'v1',
    kind: 'Ingress',
    plural: 'ingresses',
    scope: 'Namespaced',
    shortNames: ['ing'],
  },
  'clusterroles.rbac.authorization.k8s.io': {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRole',
    plural: 'clusterroles',
    scope: 'Cluster',
  },
};

export const DEFAULT_FEDERATED_TYPES = Object.keys(KNOWN_TYPES);

/** The FederatedTypeConfig's name: `<plural>` for the core group, else `<plural>.<group>`. */
export function typeConfigName(t: TargetType): string {
  return t.group ? `${t.plural}.${t.group}` : t.plural;
}

/** A Federated<Kind> is namespaced when its target is, and so is FederatedNamespace. */
function federatedScope(t: TargetType): TargetType['scope'] {
  return t.plural === 'namespaces' && t.group === '' ? 'Namespaced' : t.scope;
}

/**
 * KubeFed runs no sync controller for a namespaced type while the namespaces type is not enabled
 * (its FederatedNamespace places the others): the problem with enabling `types` as the whole set,
 * or undefined.
 */
export function namespaceDependencyProblem(types: TargetType[]): string | undefined {
  if (types.some(isNamespaceType)) return undefined;
  const namespaced = types.filter((t) => t.scope === 'Namespaced').map(typeConfigName);
  if (namespaced.length === 0) return undefined;
  return (
    `${namespaced.join(', ')} ${namespaced.length > 1 ? 'are' : 'is'} namespaced and need namespaces: ` +
    'KubeFed runs no sync controller for a namespaced type without the namespaces type (FederatedNamespace)'
  );
}

const placement = {
  type: 'object',
  properties: {
    clusters: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    },
    clusterSelector: {
      type: 'object',
      properties: {
        matchExpressions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['key', 'operator'],
            properties: {
              key: { type: 'string' },
              operator: { type: 'string' },
              values: { type: 'array', items: { type: 'string' } },
            },
          },
        },
        matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
};

const overrides = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      clusterName: { type: 'string' },
      clusterOverrides: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path'],
          properties: {
            op: { type: 'string', pattern: '^(add|remove|replace)?$' },
            path: { type: 'string' },
            value: { 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    },
  },
};

/** The Federated<Kind> CRD, with the schema kubefedctl enable generates. */
export function federatedCrd(t: TargetType): KubeObject {
  const api = federatedApi(t);
  return crd({
    group: api.group,
    version: api.version,
    kind: api.kind,
    plural: api.plural,
    scope: api.scope,
    shortNames: (t.shortNames ?? []).map((s) => `f${s}`),
    required: ['spec'],
    properties: {
      spec: {
        type: 'object',
        properties: {
          placement,
          overrides,
          template: OPEN,
          ...(t.replicas ? { retainReplicas: { type: 'boolean' } } : {}),
        },
      },
      status: OPEN,
    },
  });
}

/** Which rollout a target kind's status tells: replicas updated and available, or a Job complete. */
export type Rollout = 'replicas' | 'job';

const ROLLOUTS: Record<string, Rollout> = {
  'apps/Deployment': 'replicas',
  'apps/ReplicaSet': 'replicas',
  'apps/StatefulSet': 'replicas',
  'batch/Job': 'job',
};

/** The rollout notion of a target type (group and kind), if it has one. */
export const rolloutOf = (group: string, kind: string): Rollout | undefined => ROLLOUTS[`${group}/${kind}`];

/**
 * The FederatedTypeConfig. `services` collects the Services' status (the DNS reads it), and the
 * types with a rollout collect their members' status into the federated object's
 * (`status.clusters[].remoteStatus`, with KubeFed's RawResourceStatusCollection): the gate judges it.
 */
export function typeConfig(t: TargetType, namespace: string): KubeObject {
  const collectsStatus = t.group === '' && t.plural === 'services';
  const collectsRollout = rolloutOf(t.group, t.kind) !== undefined;
  return {
    apiVersion: KUBEFED_API,
    kind: 'FederatedTypeConfig',
    metadata: { name: typeConfigName(t), namespace },
    spec: {
      targetType: {
        ...(t.group ? { group: t.group } : {}),
        version: t.version,
        kind: t.kind,
        pluralName: t.plural,
        scope: t.scope,
      },
      federatedType: (({ plural, ...api }) => ({ ...api, pluralName: plural }))(federatedApi(t)),
      propagation: 'Enabled',
      ...(collectsStatus
        ? {
            statusCollection: 'Enabled',
            statusType: {
              group: KUBEFED_GROUP,
              version: KUBEFED_ALPHA,
              kind: 'FederatedServiceStatus',
              pluralName: 'federatedservicestatuses',
              scope: 'Namespaced',
            },
          }
        : collectsRollout
          ? { statusCollection: 'Enabled' }
          : {}),
    },
  };
}

/** A `federated-types` entry, by its kubefedctl name, plural, kind or short name. */
export function findType(name: string): TargetType | undefined {
  const wanted = name.trim().toLowerCase();
  if (KNOWN_TYPES[wanted]) return KNOWN_TYPES[wanted];
  return Object.values(KNOWN_TYPES).find(
    (t) => t.plural === wanted || t.kind.toLowerCase() === wanted || t.shortNames?.includes(wanted),
  );
}
