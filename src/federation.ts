// What the action creates inside the federation API once it answers: the namespaces the guide
// asks for (`default` was missing, a known bug) and KubeFed's cluster registry, so that the
// real KubeFed controller manager works on it.
import type { Spec } from './inputs.js';
import { KubeObject, withAppliedHash } from './objects.js';

export const KUBEFED_GROUP = 'core.kubefed.io';
export const KUBEFED_VERSION = 'v1beta1';

function crd(kind: string, plural: string, spec: object, status: object): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${KUBEFED_GROUP}` },
    spec: {
      group: KUBEFED_GROUP,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [
        {
          name: KUBEFED_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec, status } } },
        },
      ],
    },
  };
}

const KUBEFED_CLUSTER_SPEC = {
  type: 'object',
  required: ['apiEndpoint', 'secretRef'],
  properties: {
    apiEndpoint: { type: 'string' },
    caBundle: { type: 'string', format: 'byte' },
    disabledTLSValidations: { type: 'array', items: { type: 'string' } },
    proxyURL: { type: 'string' },
    secretRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
  },
};

const KUBEFED_CLUSTER_STATUS = {
  type: 'object',
  properties: {
    conditions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: {
          type: { type: 'string' },
          status: { type: 'string' },
          reason: { type: 'string' },
          message: { type: 'string' },
          lastProbeTime: { type: 'string', format: 'date-time' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
        },
      },
    },
    region: { type: 'string' },
    zones: { type: 'array', items: { type: 'string' } },
  },
};

const str = { type: 'string' };
const int = { type: 'integer' };
// An explicit schema: the client serializes objects by its typed models, which drop
// `x-kubernetes-preserve-unknown-fields`, so every field must be declared to survive pruning.
const KUBEFED_CONFIG_SPEC = {
  type: 'object',
  required: ['scope'],
  properties: {
    scope: str,
    controllerDuration: { type: 'object', properties: { availableDelay: str, unavailableDelay: str, cacheSyncTimeout: str } },
    leaderElect: { type: 'object', properties: { leaseDuration: str, renewDeadline: str, retryPeriod: str, resourceLock: str } },
    featureGates: { type: 'array', items: { type: 'object', properties: { name: str, configuration: str } } },
    clusterHealthCheck: { type: 'object', properties: { period: str, failureThreshold: int, successThreshold: int, timeout: str } },
    syncController: { type: 'object', properties: { adoptResources: str, maxConcurrentReconciles: int } },
    statusController: { type: 'object', properties: { maxConcurrentReconciles: int } },
  },
};

function kubeFedCrds(): KubeObject[] {
  return [
    crd('KubeFedCluster', 'kubefedclusters', KUBEFED_CLUSTER_SPEC, KUBEFED_CLUSTER_STATUS),
    crd('KubeFedConfig', 'kubefedconfigs', KUBEFED_CONFIG_SPEC, { type: 'object' }),
  ];
}

/** The federation API's own objects, in the order they must be created. */
export function federationObjects(spec: Spec): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } },
    ...kubeFedCrds(),
    {
      // The KubeFed controller manager reads its settings from "kubefed" in its namespace.
      apiVersion: `${KUBEFED_GROUP}/${KUBEFED_VERSION}`,
      kind: 'KubeFedConfig',
      metadata: { name: 'kubefed', namespace: spec.namespace },
      spec: { scope: 'Cluster' },
    },
  ].map(withAppliedHash);
}
