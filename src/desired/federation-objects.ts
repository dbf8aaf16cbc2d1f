// What the action creates inside the federation API once it answers, so that the real KubeFed
// controller manager and webhook work on it: the namespaces the guide asks for (`default` was
// missing, a known bug), KubeFed's CRDs and complete configuration, the federated types, the
// rights of KubeFed's own identity, and (once the webhook serves) its admission webhooks.
import { identities } from './credentials.js';
import { dnsEndpointCrd, dnsRights } from './dns-objects.js';
import { dnsStatusRights } from './dns-status.js';
import { FEDERATED_GROUP, TargetType, federatedApi, federatedCrd, typeConfig } from './federated-types.js';
import type { Spec } from '../inputs/spec.js';
import { KUBEFED_API, KUBEFED_GROUP, KUBEFED_VERSION, SCHEDULING_GROUP, kubeFedCrds } from './kubefed-crds.js';
import { KubeObject, base64, ownedBy, withAppliedHash } from './objects.js';

/** How often KubeFed checks its members (the KubeFedConfig below). */
export const KUBEFED_HEALTH_CHECK_PERIOD_MS = 10_000;

/**
 * KubeFedConfig "kubefed", complete: the controller manager exits on any missing field, and
 * no webhook defaults it before the webhook serves. Values as KubeFed's chart sets them,
 * durations written as KubeFed's defaulting webhook would write them back.
 */
export function kubeFedConfig(spec: Spec): KubeObject {
  return {
    apiVersion: KUBEFED_API,
    kind: 'KubeFedConfig',
    metadata: { name: 'kubefed', namespace: spec.namespace },
    spec: {
      scope: 'Cluster',
      controllerDuration: { availableDelay: '20s', unavailableDelay: '1m0s', cacheSyncTimeout: '5m0s' },
      leaderElect: { leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '5s', resourceLock: 'configmaps' },
      featureGates: [
        { name: 'PushReconciler', configuration: 'Enabled' },
        // The members' status of each federated object, in its status: the gate reads rollouts there.
        { name: 'RawResourceStatusCollection', configuration: 'Enabled' },
        { name: 'SchedulerPreferences', configuration: 'Enabled' },
      ],
      clusterHealthCheck: {
        period: `${KUBEFED_HEALTH_CHECK_PERIOD_MS / 1000}s`,
        failureThreshold: 3,
        successThreshold: 1,
        timeout: '3s',
      },
      syncController: { maxConcurrentReconciles: 1, adoptResources: 'Enabled' },
      statusController: { maxConcurrentReconciles: 1 },
    },
  };
}

/**
 * The rights KubeFed's chart gives its controller manager (scope Cluster), bound to the
 * controller manager's own certificate: cluster-wide on KubeFed's groups, and its leader
 * election lock and members' Secrets in its namespace.
 */
function controllerManagerRights(spec: Spec): KubeObject[] {
  const user = identities(spec.federationName).controllerManager;
  const name = user;
  const labels = ownedBy(spec.federationName);
  const rbac = 'rbac.authorization.k8s.io/v1';
  const subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }];
  return [
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name, labels },
      rules: [
        { apiGroups: [SCHEDULING_GROUP], resources: ['*'], verbs: ['get', 'watch', 'list', 'update', 'patch'] },
        {
          apiGroups: ['multiclusterdns.kubefed.io'],
          resources: ['*'],
          verbs: ['get', 'watch', 'list', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: [KUBEFED_GROUP], resources: ['*'], verbs: ['get', 'watch', 'list', 'create', 'update', 'patch'] },
        { apiGroups: [FEDERATED_GROUP], resources: ['*'], verbs: ['get', 'watch', 'list', 'update', 'patch'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'watch', 'list'] },
        { apiGroups: [''], resources: ['events'], verbs: ['get', 'create', 'update', 'patch'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects,
    },
    {
      apiVersion: rbac,
      kind: 'Role',
      metadata: { name, namespace: spec.namespace, labels },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update', 'patch'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name, namespace: spec.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    },
  ];
}

/**
 * The rights KubeFed's chart gives its admission webhook, bound to the webhook's own
 * certificate: read-only on core.kubefed.io in its namespace, TokenReviews and
 * SubjectAccessReviews (system:auth-delegator), and the authentication ConfigMap in kube-system
 * (kubefed v0.10.0 charts/kubefed/charts/controllermanager/templates/roles.yaml,
 * rolebindings.yaml and clusterrolebindings.yaml).
 */
function webhookRights(spec: Spec): KubeObject[] {
  const user = identities(spec.federationName).webhook;
  const labels = ownedBy(spec.federationName);
  const rbac = 'rbac.authorization.k8s.io/v1';
  const subjects = [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }];
  const binding = (kind: string, role: string, namespace?: string): KubeObject => ({
    apiVersion: rbac,
    kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
    metadata: { name: user, ...(namespace ? { namespace } : {}), labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role },
    subjects,
  });
  return [
    {
      apiVersion: rbac,
      kind: 'Role',
      metadata: { name: user, namespace: spec.namespace, labels },
      rules: [
        {
          apiGroups: [KUBEFED_GROUP],
          resources: ['federatedtypeconfigs', 'kubefedclusters', 'kubefedconfigs'],
          verbs: ['get', 'watch', 'list'],
        },
      ],
    },
    binding('Role', user, spec.namespace),
    binding('ClusterRole', 'system:auth-delegator'),
    binding('Role', 'extension-apiserver-authentication-reader', 'kube-system'),
  ];
}

/**
 * Each enabled type's Federated<Kind> CRD and FederatedTypeConfig, labelled as the action's. A
 * federated group other than types.kubefed.io (kubefedctl's --federated-group) gets KubeFed's
 * identity the same rights on it as on types.kubefed.io, or KubeFed could not watch the type.
 */
export function federatedTypeObjects(spec: Spec, types: TargetType[]): KubeObject[] {
  const labels = ownedBy(spec.federationName);
  const mark = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, labels } });
  const groups = new Set<string>([FEDERATED_GROUP]);
  return types.flatMap((t) => {
    const group = federatedApi(t).group;
    const rights = groups.has(group) ? [] : federatedGroupRights(spec, group);
    groups.add(group);
    return [mark(federatedCrd(t)), ...rights, mark(typeConfig(t, spec.namespace))];
  });
}

/** KubeFed's rights on a federated group of its own, as its chart gives them on types.kubefed.io. */
function federatedGroupRights(spec: Spec, group: string): KubeObject[] {
  const user = identities(spec.federationName).controllerManager;
  const name = `${user}.${group}`;
  const labels = ownedBy(spec.federationName);
  const rbac = 'rbac.authorization.k8s.io/v1';
  return [
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name, labels },
      rules: [{ apiGroups: [group], resources: ['*'], verbs: ['get', 'watch', 'list', 'update', 'patch'] }],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
    },
  ];
}

/** The federation API's own objects, in the order they must be created. */
export function federationObjects(spec: Spec): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } },
    ...kubeFedCrds(),
    dnsEndpointCrd(),
    ...controllerManagerRights(spec),
    ...webhookRights(spec),
    ...dnsRights(spec),
    ...dnsStatusRights(spec.federationName, spec.namespace),
    kubeFedConfig(spec),
    ...federatedTypeObjects(spec, spec.federatedTypes),
  ].map(withAppliedHash);
}

/**
 * KubeFed's admission webhooks as its chart registers them: validation of KubeFedClusters,
 * KubeFedConfigs and FederatedTypeConfigs, and defaulting of KubeFedConfigs. The webhook's
 * Service lives on the host cluster, not in the federation API (a `service` reference would
 * be looked up there), so it is called by URL, at the Service's in-cluster name, which the
 * federation API server's pod resolves through the host cluster's DNS.
 */
export function webhookConfigurations(spec: Spec, service: string, caPem: string): KubeObject[] {
  const clientConfig = (path: string) => ({
    url: `https://${service}.${spec.namespace}.svc:443${path}`,
    caBundle: base64(caPem),
  });
  const webhook = (resources: string[], path: string, operations: string[]) => ({
    name: `${resources[0]}.${KUBEFED_GROUP}`,
    admissionReviewVersions: ['v1'],
    clientConfig: clientConfig(path),
    rules: [{ operations, apiGroups: [KUBEFED_GROUP], apiVersions: [KUBEFED_VERSION], resources }],
    failurePolicy: 'Fail',
    sideEffects: 'None',
  });
  const labels = ownedBy(spec.federationName);
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: `validations.${KUBEFED_GROUP}`, labels },
      webhooks: [
        webhook(['federatedtypeconfigs', 'federatedtypeconfigs/status'], '/validate-federatedtypeconfigs', [
          'CREATE',
          'UPDATE',
        ]),
        webhook(['kubefedclusters', 'kubefedclusters/status'], '/validate-kubefedcluster', ['CREATE', 'UPDATE']),
        webhook(['kubefedconfigs'], '/validate-kubefedconfig', ['CREATE', 'UPDATE']),
      ],
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: `mutation.${KUBEFED_GROUP}`, labels },
      webhooks: [webhook(['kubefedconfigs'], '/default-kubefedconfig', ['CREATE'])],
    },
  ].map(withAppliedHash);
}
