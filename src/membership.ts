// What `kubefed join` made, as pure functions from the spec to manifests: the federation's own
// identity in each member cluster, and the member's record in the federation API.
import { describeBlock, withFederationBlock, withoutFederationBlock } from './corefile.js';
import type { ClusterSpec, Spec } from './inputs.js';
import { KUBEFED_API } from './kubefed-crds.js';
import { FEDERATION_LABEL, FIELD_MANAGER, KubeObject, MANAGED_BY_LABEL, base64, ownedBy, withAppliedHash } from './objects.js';
import type { Step } from './plan.js';

/**
 * The member's objects live in kube-system: it always exists, so the action never creates or
 * deletes a namespace on a member, and a member that is also the host, or that belongs to
 * several federations, never loses a namespace somebody else needs.
 */
export const MEMBER_NAMESPACE = 'kube-system';
export const KUBE_DNS = { name: 'kube-dns', namespace: 'kube-system' } as const;
export const COREDNS = { name: 'coredns', namespace: 'kube-system' } as const;
/** The kubeconfig context a member was joined through, so prune can reach it again. */
export const CONTEXT_ANNOTATION = 'kubefed-action.io/context';

/**
 * Names in the member, unique per federation and cluster: the parts are joined by a character
 * no RFC 1035 label holds (`kubefed-a-b-c` could be federation a's cluster b-c or federation
 * a-b's cluster c; `kubefed.a.b-c` and `kubefed.a-b.c` cannot meet).
 */
export function memberNames(federation: string, cluster: string) {
  const base = `kubefed.${federation}.${cluster}`;
  return { serviceAccount: base, tokenSecret: `${base}.token`, clusterRole: `kubefed-action:${federation}:${cluster}` };
}

/** The federation's identity in the member: an account, cluster-wide rights, and its token. */
export function memberObjects(spec: Spec, cluster: string): KubeObject[] {
  const n = memberNames(spec.federationName, cluster);
  const labels = ownedBy(spec.federationName);
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: n.serviceAccount, namespace: MEMBER_NAMESPACE, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: n.clusterRole, labels },
      // What kubefed join granted: the federation controllers manage every kind of object.
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['/healthz', '/readyz', '/livez', '/version'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: n.clusterRole, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: n.clusterRole },
      subjects: [{ kind: 'ServiceAccount', name: n.serviceAccount, namespace: MEMBER_NAMESPACE }],
    },
    {
      // Since Kubernetes 1.24 no token Secret is made for a ServiceAccount: ask for one, and
      // the token controller fills in `token` and `ca.crt`.
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: n.tokenSecret,
        namespace: MEMBER_NAMESPACE,
        labels,
        annotations: { 'kubernetes.io/service-account.name': n.serviceAccount },
      },
    },
  ].map(withAppliedHash);
}

export interface MemberAccess {
  /** The member's API server URL, as the kubeconfig gives it. */
  endpoint: string;
  /** The CA that signs the member's serving certificate (PEM); absent to trust system roots. */
  caPem?: string;
  /** The kubeconfig skips TLS verification for this member. */
  insecure: boolean;
  /** The federation's token in the member ('' while the token controller has not issued it). */
  token: string;
}

/** The member's record in the federation API: its credentials Secret and its KubeFedCluster. */
export function federationMemberObjects(spec: Spec, cluster: ClusterSpec, access: MemberAccess): KubeObject[] {
  const labels = ownedBy(spec.federationName);
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: cluster.secretName, namespace: spec.namespace, labels },
      data: { token: base64(access.token), ...(access.caPem ? { 'ca.crt': base64(access.caPem) } : {}) },
    },
    {
      apiVersion: KUBEFED_API,
      kind: 'KubeFedCluster',
      metadata: { name: cluster.name, namespace: spec.namespace, labels, annotations: { [CONTEXT_ANNOTATION]: cluster.context } },
      spec: {
        apiEndpoint: access.endpoint,
        ...(access.caPem ? { caBundle: base64(access.caPem) } : {}),
        ...(access.insecure ? { disabledTLSValidations: ['*'] } : {}),
        secretRef: { name: cluster.secretName },
      },
    },
  ].map(withAppliedHash);
}

/** kube-dns names a federation's domain without the root dot ("fellowship=example.com"). */
export function kubeDnsEntry(spec: Spec): { federation: string; domain: string } {
  return { federation: spec.federationName, domain: spec.dns.zone.replace(/\.$/, '') };
}

/**
 * The `federations` value with this federation's entry set (kept in place when present),
 * every other federation's entry untouched. Entries are "name=domain", comma-separated.
 */
export function withFederation(current: string | undefined, federation: string, domain: string): string {
  const entries = parseFederations(current);
  const entry = `${federation}=${domain}`;
  const at = entries.findIndex((e) => e.split('=')[0] === federation);
  if (at >= 0) entries[at] = entry;
  else entries.push(entry);
  return entries.join(',');
}

/** The `federations` value without this federation's entry ('' when none is left). */
export function withoutFederation(current: string | undefined, federation: string): string {
  return parseFederations(current)
    .filter((e) => e.split('=')[0] !== federation)
    .join(',');
}

function parseFederations(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

/** The kube-dns ConfigMap join creates when the member has none (and no CoreDNS). */
export function kubeDnsConfigMap(spec: Spec): KubeObject {
  const { federation, domain } = kubeDnsEntry(spec);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...KUBE_DNS, labels: ownedBy(spec.federationName) },
    data: { federations: `${federation}=${domain}` },
  };
}

export interface KubeDnsPlan {
  step?: Step;
  /** Why nothing is done to the member's DNS although something would be expected. */
  warning?: string;
}

/**
 * Join (`present`) or unjoin the federation in a member's kube-dns configuration, given the
 * member's kube-dns and coredns ConfigMaps as observed. A ConfigMap the action created for
 * this federation alone is deleted on unjoin; one shared with others only loses its entry.
 */
export function planKubeDns(spec: Spec, cluster: string, observed: { kubeDns?: KubeObject; coreDns?: KubeObject }, present: boolean): KubeDnsPlan {
  const target = { kind: 'member' as const, cluster };
  const { federation, domain } = kubeDnsEntry(spec);
  const { kubeDns, coreDns } = observed;
  const current = (kubeDns?.data as Record<string, string> | undefined)?.federations;
  if (!kubeDns && coreDns) return planCorefile(spec, cluster, coreDns, present);
  if (!kubeDns) {
    if (!present) return {};
    return { step: { action: 'create', target, object: kubeDnsConfigMap(spec), reason: `federations: ${federation}=${domain}` } };
  }
  const wanted = present ? withFederation(current, federation, domain) : withoutFederation(current, federation);
  if (wanted === (current ?? '')) return {};
  const ref: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...KUBE_DNS, resourceVersion: kubeDns.metadata.resourceVersion } };
  const otherKeys = Object.keys((kubeDns.data as Record<string, string> | undefined) ?? {}).filter((k) => k !== 'federations');
  const ours = kubeDns.metadata.labels?.[FEDERATION_LABEL] === spec.federationName && kubeDns.metadata.labels?.[MANAGED_BY_LABEL] === FIELD_MANAGER;
  if (!present && wanted === '' && otherKeys.length === 0 && ours) return { step: { action: 'delete', target, object: ref } };
  return {
    step: {
      action: 'update',
      target,
      object: ref,
      reason: present ? `federations: add ${federation}=${domain}` : `federations: remove ${federation}`,
      dataPatch: { federations: wanted === '' ? null : wanted },
    },
  };
}

/**
 * A CoreDNS member: the federation's server block merged into its Corefile (or taken out of
 * it), the rest of the Corefile untouched.
 */
function planCorefile(spec: Spec, cluster: string, coreDns: KubeObject, present: boolean): KubeDnsPlan {
  const corefile = (coreDns.data as Record<string, string> | undefined)?.Corefile;
  if (corefile === undefined) return present ? { warning: 'runs CoreDNS, but ConfigMap kube-system/coredns has no Corefile: its DNS is left as it is' } : {};
  const block = { federation: spec.federationName, zone: spec.dns.zone, forwardTo: spec.dns.settings.forwardTo };
  const plan = present ? withFederationBlock(corefile, block) : withoutFederationBlock(corefile, spec.federationName);
  if ('refused' in plan) return { warning: plan.refused };
  if ('unchanged' in plan) return {};
  return {
    step: {
      action: 'update',
      target: { kind: 'member', cluster },
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...COREDNS, resourceVersion: coreDns.metadata.resourceVersion } },
      reason: present ? `Corefile: server block ${describeBlock(block)}` : `Corefile: remove the server block of ${spec.federationName}`,
      dataPatch: { Corefile: plan.corefile },
    },
  };
}
