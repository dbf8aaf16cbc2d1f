// KubeFed v0.10.0's seven core CRDs, which its controller manager and webhook need in the
// federation API (the controller manager exits without KubeFedConfig's, and never syncs
// without the others). The schemas declare what KubeFed's own schemas require; the parts
// KubeFed's webhook validates, or that hold arbitrary content, are kept as they come.
import type { KubeObject } from './objects.js';

export const KUBEFED_GROUP = 'core.kubefed.io';
export const KUBEFED_VERSION = 'v1beta1';
export const KUBEFED_API = `${KUBEFED_GROUP}/${KUBEFED_VERSION}`;
/** The version of KubeFed's older kinds (FederatedServiceStatus among them). */
export const KUBEFED_ALPHA = 'v1alpha1';
export const SCHEDULING_GROUP = 'scheduling.kubefed.io';

/** Keeps every field of an object as sent (the schema declares no more than this). */
export const OPEN = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const str = { type: 'string' };
const int = { type: 'integer', format: 'int64' };
/** An object schema with these required fields. */
const fields = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', required, properties });
const apiResource = {
  type: 'object',
  required: ['kind', 'pluralName', 'scope', 'version'],
  properties: { group: str, version: str, kind: str, pluralName: str, scope: str },
};

interface CrdOptions {
  group: string;
  version: string;
  kind: string;
  plural: string;
  scope?: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  status?: boolean;
  /** The top-level properties (spec, status, or others) and which are required. */
  properties: Record<string, object>;
  required?: string[];
  printerColumns?: object[];
}

export function crd(o: CrdOptions): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${o.plural}.${o.group}` },
    spec: {
      group: o.group,
      scope: o.scope ?? 'Namespaced',
      names: {
        kind: o.kind,
        listKind: `${o.kind}List`,
        plural: o.plural,
        singular: o.kind.toLowerCase(),
        ...(o.shortNames?.length ? { shortNames: o.shortNames } : {}),
      },
      versions: [
        {
          name: o.version,
          served: true,
          storage: true,
          ...(o.status === false ? {} : { subresources: { status: {} } }),
          ...(o.printerColumns ? { additionalPrinterColumns: o.printerColumns } : {}),
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, ...o.properties },
              ...(o.required ? { required: o.required } : {}),
            },
          },
        },
      ],
    },
  };
}

const KUBEFED_CLUSTER = crd({
  group: KUBEFED_GROUP,
  version: KUBEFED_VERSION,
  kind: 'KubeFedCluster',
  plural: 'kubefedclusters',
  shortNames: ['kfc'],
  required: ['spec'],
  properties: {
    spec: fields(['apiEndpoint', 'secretRef'], {
      apiEndpoint: str,
      caBundle: { type: 'string', format: 'byte' },
      disabledTLSValidations: { type: 'array', items: str },
      proxyURL: str,
      secretRef: fields(['name'], { name: str }),
    }),
    status: OPEN,
  },
  printerColumns: [
    { jsonPath: '.metadata.creationTimestamp', name: 'age', type: 'date' },
    { jsonPath: ".status.conditions[?(@.type=='Ready')].status", name: 'ready', type: 'string' },
    { jsonPath: '.status.kubernetesVersion', name: 'kubernetes-version', type: 'string' },
  ],
});

const KUBEFED_CONFIG = crd({
  group: KUBEFED_GROUP,
  version: KUBEFED_VERSION,
  kind: 'KubeFedConfig',
  plural: 'kubefedconfigs',
  status: false,
  required: ['spec'],
  properties: {
    spec: {
      type: 'object',
      required: ['scope'],
      properties: {
        scope: str,
        controllerDuration: {
          type: 'object',
          properties: { availableDelay: str, unavailableDelay: str, cacheSyncTimeout: str },
        },
        leaderElect: {
          type: 'object',
          properties: { leaseDuration: str, renewDeadline: str, retryPeriod: str, resourceLock: str },
        },
        featureGates: {
          type: 'array',
          items: fields(['name', 'configuration'], { name: str, configuration: str }),
        },
        clusterHealthCheck: {
          type: 'object',
          properties: { period: str, timeout: str, failureThreshold: int, successThreshold: int },
        },
        syncController: { type: 'object', properties: { adoptResources: str, maxConcurrentReconciles: int } },
        statusController: { type: 'object', properties: { maxConcurrentReconciles: int } },
      },
    },
  },
});

const FEDERATED_TYPE_CONFIG = crd({
  group: KUBEFED_GROUP,
  version: KUBEFED_VERSION,
  kind: 'FederatedTypeConfig',
  plural: 'federatedtypeconfigs',
  shortNames: ['ftc'],
  required: ['spec'],
  properties: {
    spec: {
      type: 'object',
      required: ['federatedType', 'propagation', 'targetType'],
      properties: {
        targetType: apiResource,
        federatedType: apiResource,
        statusType: apiResource,
        propagation: str,
        statusCollection: str,
      },
    },
    status: OPEN,
  },
});

const propagatedVersion = (kind: string, plural: string, scope: 'Namespaced' | 'Cluster') =>
  crd({ group: KUBEFED_GROUP, version: KUBEFED_ALPHA, kind, plural, scope, properties: { status: OPEN } });

export function kubeFedCrds(): KubeObject[] {
  return [
    KUBEFED_CLUSTER,
    KUBEFED_CONFIG,
    FEDERATED_TYPE_CONFIG,
    propagatedVersion('PropagatedVersion', 'propagatedversions', 'Namespaced'),
    propagatedVersion('ClusterPropagatedVersion', 'clusterpropagatedversions', 'Cluster'),
    crd({
      group: KUBEFED_GROUP,
      version: KUBEFED_ALPHA,
      kind: 'FederatedServiceStatus',
      plural: 'federatedservicestatuses',
      status: false,
      properties: {
        clusterStatus: {
          type: 'array',
          items: {
            type: 'object',
            required: ['clusterName', 'status'],
            properties: { clusterName: str, status: OPEN },
          },
        },
      },
    }),
    crd({
      group: SCHEDULING_GROUP,
      version: KUBEFED_ALPHA,
      kind: 'ReplicaSchedulingPreference',
      plural: 'replicaschedulingpreferences',
      shortNames: ['rsp'],
      status: false,
      properties: {
        spec: fields(['targetKind', 'totalReplicas'], {
          targetKind: str,
          totalReplicas: { type: 'integer', format: 'int32' },
          rebalance: { type: 'boolean' },
          intersectWithClusterSelector: { type: 'boolean' },
          clusters: {
            type: 'object',
            additionalProperties: { type: 'object', properties: { minReplicas: int, maxReplicas: int, weight: int } },
          },
        }),
        status: OPEN,
      },
    }),
  ];
}
