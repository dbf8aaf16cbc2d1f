// What `kubefed join` made, as pure functions from the spec to manifests: the federation's own
// identity in each member cluster, and the member's record in the federation API.
import { createHash } from 'node:crypto';
import type { ClusterSpec, Spec } from '../inputs/spec.js';
import { KUBEFED_API } from './kubefed-crds.js';
import { KubeObject, base64, ownedBy, withAppliedHash } from './objects.js';

/**
 * The member's objects live in kube-system: it always exists, so the action never creates or
 * deletes a namespace on a member, and a member that is also the host, or that belongs to
 * several federations, never loses a namespace somebody else needs.
 */
export const MEMBER_NAMESPACE = 'kube-system';
/** The kubeconfig context a member was joined through, so prune can reach it again. */
export const CONTEXT_ANNOTATION = 'kubefed-action.io/context';
/**
 * Which token the member's record holds, as a digest (never the token): KubeFed builds its
 * client of a member from the record's Secret when the KubeFedCluster appears, and again only
 * when the KubeFedCluster's spec, labels or annotations change, never when the Secret does.
 * A new token (the member's token Secret was deleted, or its account made anew) changes this
 * annotation with the Secret, and KubeFed drops the client that holds the old one; else it
 * keeps asking with a token the member refuses and reports the member Offline for good.
 */
export const CREDENTIALS_ANNOTATION = 'kubefed-action.io/credentials';

/** The first 16 hex digits of the token's SHA-256: enough to tell one token from the next. */
export const credentialsMark = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 16);

/**
 * Names in the member, unique per federation and cluster: the parts are joined by a character
 * no RFC 1035 label holds (`kubefed-a-b-c` could be federation a's cluster b-c or federation
 * a-b's cluster c; `kubefed.a.b-c` and `kubefed.a-b.c` cannot meet).
 */
export function memberNames(federation: string, cluster: string) {
  const base = `kubefed.${federation}.${cluster}`;
  return { serviceAccount: base, tokenSecret: `${base}.token`, clusterRole: `kubefed-action:${federation}:${cluster}` };
}

/**
 * What join leaves in a member that leaves the federation without being reached (`force`), so
 * a person can remove it: the objects by kind and name, the DNS entry, and the commands.
 */
export function leftInMember(federation: string, cluster: string, zone: string): string {
  const n = memberNames(federation, cluster);
  const domain = zone.replace(/\.$/, '');
  return (
    `ServiceAccount ${MEMBER_NAMESPACE}/${n.serviceAccount}, Secret ${MEMBER_NAMESPACE}/${n.tokenSecret} ` +
    `(its token, valid until the Secret is deleted), ClusterRole ${n.clusterRole} (every verb on every resource) ` +
    `and ClusterRoleBinding ${n.clusterRole}; and the entry ${federation}=${domain} in ConfigMap ` +
    `${MEMBER_NAMESPACE}/kube-dns (data.federations) or, on a CoreDNS member, the section between the ` +
    `"# kubefed-action federation ${federation}: begin" and ": end" lines in ConfigMap ${MEMBER_NAMESPACE}/coredns ` +
    `(data.Corefile). Remove them with: kubectl -n ${MEMBER_NAMESPACE} delete serviceaccount/${n.serviceAccount} ` +
    `secret/${n.tokenSecret} && kubectl delete clusterrolebinding/${n.clusterRole} clusterrole/${n.clusterRole} ` +
    `(and edit the ConfigMap)`
  );
}

/** The federation's identity in the member: an account, cluster-wide rights, and its token. */
export function memberObjects(spec: Spec, cluster: string): KubeObject[] {
  const n = memberNames(spec.federationName, cluster);
  const labels = ownedBy(spec.federationName);
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: n.serviceAccount, namespace: MEMBER_NAMESPACE, labels },
    },
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

/**
 * What the federation needs to reach a member: the endpoint, and the CA the user's kubeconfig
 * trusts for it. A kubeconfig without one trusts the system roots (a publicly trusted
 * endpoint), and so does KubeFed when the caBundle is left out. The CA the member's token
 * controller hands out is its internal one: it signs the in-cluster endpoint's certificate,
 * not necessarily the one in front of it, so it is never taken in the kubeconfig's stead.
 */
export function memberAccess(
  endpoint: string,
  kubeconfig: { caPem?: string; insecure: boolean },
  token: { token: string; caPem?: string },
): MemberAccess {
  return {
    endpoint,
    ...(kubeconfig.caPem ? { caPem: kubeconfig.caPem } : {}),
    insecure: kubeconfig.insecure,
    token: token.token,
  };
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
      metadata: {
        name: cluster.name,
        namespace: spec.namespace,
        labels,
        annotations: { [CONTEXT_ANNOTATION]: cluster.context, [CREDENTIALS_ANNOTATION]: credentialsMark(access.token) },
      },
      spec: {
        apiEndpoint: access.endpoint,
        ...(access.caPem ? { caBundle: base64(access.caPem) } : {}),
        ...(access.insecure ? { disabledTLSValidations: ['*'] } : {}),
        secretRef: { name: cluster.secretName },
      },
    },
  ].map(withAppliedHash);
}
