// What joining a member reads of it before planning, and how the federation is to reach it.
// The reads depend on nothing the host or the federation holds, so a run can start them first
// (readMembersAhead) and let their round trips overlap the control plane's.
import type { KubeConfig } from '@kubernetes/client-node';
import { type Observation, observeAll, observedOf } from '../apply/converge.js';
import { type MemberAccess, memberAccess, memberObjects } from '../desired/member-objects.js';
import { type KubeObject, base64 } from '../desired/objects.js';
import type { ClusterSpec, Spec } from '../inputs/spec.js';
import { forContext } from '../inputs/kubeconfig.js';
import { Cluster } from '../observe/cluster.js';
import { type FederationAccess, openProbeConnection, probeThroughToken } from '../observe/member-probe.js';
import { caOf, tokenOf } from '../observe/member-token.js';
import { COREDNS, KUBE_DNS } from '../plan/kube-dns.js';
import type { Desired } from '../plan/plan.js';

export function memberCluster(kubeconfig: KubeConfig, name: string, context: string): Cluster {
  return new Cluster(
    { kind: 'member', cluster: name },
    `cluster "${name}" (context "${context}")`,
    forContext(kubeconfig, context, 'clusters'),
  );
}

export const onMember =
  (cluster: string) =>
  (object: KubeObject): Desired => ({ target: { kind: 'member', cluster }, object });

/** What join reads of a member before it plans: its objects, and its DNS ConfigMaps. */
export interface MemberReads {
  /** The member and its desired objects, as the reads used them (absent when they could not be made). */
  member?: Cluster;
  desired?: Desired[];
  observation: Observation | Error;
  dns?: KubeDnsMaps;
  /** The health check's probe, started with the token the member already holds. */
  probe?: { token: string; problem: Promise<string | null> };
}

/**
 * Reads what joining `cluster` needs from it. The reads do not depend on one another, so they
 * go out together: one round trip across the network. They never fail: a failure is kept.
 */
export async function readMember(spec: Spec, kubeconfig: KubeConfig, cluster: ClusterSpec): Promise<MemberReads> {
  try {
    const member = memberCluster(kubeconfig, cluster.name, cluster.context);
    // Every joined member is probed, and a joining one once it has its token.
    openProbeConnection(cluster.name, probeAccess(member, accessOf(member, cluster, { token: '' })));
    const desired = memberObjects(spec, cluster.name).map(onMember(cluster.name));
    const [observation, dns] = await Promise.all([
      observeAll(desired, () => member).catch((err: unknown) => err as Error),
      readKubeDns(member).catch(() => undefined),
    ]);
    // A member joined before holds the token its record will keep: the probe through it can
    // go out now, its connection and round trip overlapping the rest of the run (joinMember).
    const secret =
      observation instanceof Error ? undefined : desired.map((d) => observedOf(observation, d)).find(isSecret);
    const access = accessOf(member, cluster, tokenOf(secret));
    const probe = access.token ? { token: access.token, problem: probeAs(member, cluster.name, access) } : undefined;
    return { member, desired, observation, dns, probe };
  } catch (err) {
    return { observation: err as Error };
  }
}

export const isSecret = (o: KubeObject | undefined): o is KubeObject => o?.kind === 'Secret';

/** How the federation is to reach the member: its endpoint, the CA the kubeconfig trusts, the token. */
export function accessOf(
  member: Cluster,
  cluster: ClusterSpec,
  token: { token: string; caPem?: string },
): MemberAccess {
  const insecure = member.config.getCurrentCluster()?.skipTLSVerify === true;
  return memberAccess(cluster.endpoint ?? member.server, { caPem: caOf(member), insecure }, token);
}

/** The health check's probe through the token of `access`, at the kubeconfig's address (as health's). */
export function probeAs(member: Cluster, name: string, access: MemberAccess): Promise<string | null> {
  return probeThroughToken(name, probeAccess(member, access));
}

function probeAccess(member: Cluster, access: MemberAccess): FederationAccess {
  const caBundle = access.caPem ? base64(access.caPem) : undefined;
  return { endpoint: member.server, caBundle, insecure: access.insecure, token: access.token };
}

export type KubeDnsMaps = { kubeDns?: KubeObject; coreDns?: KubeObject };

/**
 * The member's kube-dns and CoreDNS ConfigMaps (either may be absent), from one list of the
 * ConfigMaps of their namespace: one request instead of two, for a handful of small objects.
 */
export async function readKubeDns(member: Cluster): Promise<KubeDnsMaps> {
  const maps = await member.list('v1', 'ConfigMap', '', KUBE_DNS.namespace);
  const named = (ref: { name: string; namespace: string }) => maps.find((m) => m.metadata.name === ref.name);
  return { kubeDns: named(KUBE_DNS), coreDns: named(COREDNS) };
}
