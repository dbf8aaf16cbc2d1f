// One member unjoined, and what joining one shares with it (member-join.ts joins): each member
// is observed, planned and applied on its own, every failure kept in its outcome so the other
// members go on.
import type { KubeConfig } from '@kubernetes/client-node';
import { execute, removeAll } from '../apply/converge.js';
import { type MemberAccess, federationMemberObjects, leftInMember, memberObjects } from '../desired/member-objects.js';
import type { KubeObject } from '../desired/objects.js';
import type { ClusterSpec, Spec } from '../inputs/spec.js';
import { Cluster, ClusterError } from '../observe/cluster.js';
import { planKubeDns } from '../plan/kube-dns.js';
import { type KubeDnsMaps, type MemberReads, memberCluster, onMember, readKubeDns } from './member-reads.js';
import type { Desired, Step } from '../plan/plan.js';
import type { Target } from '../desired/objects.js';
import { Log, prefixed } from '../report/log.js';
import type { MemberOutcome } from './member-outcome.js';
import type { SnapshotCluster } from '../observe/snapshot.js';

const KUBE_DNS_ATTEMPTS = 5;

export interface MembershipContext {
  spec: Spec;
  kubeconfig: KubeConfig;
  /** The federation API, or undefined when it has no address yet (a plan before the first apply). */
  federation?: Cluster;
  federationUp: boolean;
  writes: boolean;
  log: Log;
  mask: (secret: string) => void;
  /**
   * The clusters that are members once the run is done: the list on apply, plan and check;
   * none on destroy and `kubefed unjoin`. What one of them still uses is never removed.
   */
  listed: ClusterSpec[];
  /** The listed members as read earlier in the run, by name (readMembersAhead). */
  readAhead?: Map<string, Promise<MemberReads>>;
  /** The listed members' sides of their joins, started ahead (joinMembersAhead), by name. */
  sides?: Map<string, Promise<MemberSide>>;
  /** Where a joined member, its record now holding its token, leaves its probe through the federation's token. */
  probes?: Map<string, Promise<string | null>>;
  /** The members' records in the federation, read beside its bootstrap (bootstrapFederationApi). */
  recordsAhead?: Promise<SnapshotCluster>;
}

/** A member joined by the action, as its KubeFedCluster records it. */
export interface MemberRecord {
  name: string;
  context?: string;
  endpoint?: string;
  secretName?: string;
}

export function clustersFor(ctx: MembershipContext, member: Cluster) {
  return (t: Target): Cluster => {
    if (t.kind !== 'federation') return member;
    if (!ctx.federation) throw new Error('the federation API has no address yet');
    return ctx.federation;
  };
}

export const onFederation = (object: KubeObject): Desired => ({ target: { kind: 'federation' }, object });

/** What the member's side of a join needs of the run: nothing of the federation. */
export type MemberSideContext = Pick<MembershipContext, 'spec' | 'kubeconfig' | 'writes' | 'log' | 'mask'>;

/**
 * A member's side of its join, done: the outcome so far, and what its record in the federation
 * needs (absent when the outcome is already final: unreachable, or failed).
 */
export interface MemberSide {
  outcome: MemberOutcome;
  record?: { access: MemberAccess; member: Cluster; earlyProbe?: MemberReads['probe'] };
}

/**
 * Deletes what join made: the member's kube-dns entry, token, binding, role and account, then
 * the member's Secret and KubeFedCluster in the federation. The KubeFedCluster is the record of
 * the membership, so it goes last: a run that fails half way still finds the cluster next time.
 */
export async function unjoinMember(
  ctx: MembershipContext,
  record: MemberRecord,
  givenContext?: string,
): Promise<MemberOutcome> {
  const { spec, writes } = ctx;
  const log = prefixed(ctx.log, record.name);
  const outcome: MemberOutcome = {
    name: record.name,
    endpoint: record.endpoint,
    state: writes ? 'unjoined' : 'to unjoin',
    steps: [],
    warnings: [],
  };
  const opts = { writes, log };
  const context = givenContext ?? contextOf(ctx, record);
  try {
    const member = context ? memberCluster(ctx.kubeconfig, record.name, context) : undefined;
    if (member) outcome.endpoint ??= member.server;
    const unreached = !member
      ? `no kubeconfig context reaches ${record.endpoint ?? 'it'}`
      : !(await reachable(member, outcome))
        ? outcome.error
        : undefined;
    if (unreached !== undefined) {
      // Its records are what a later unjoin needs to find it: they go only when the user says so.
      if (!spec.force) {
        const hint = member ? '' : ' (name its context in clusters, or with --cluster-context)';
        return {
          ...outcome,
          state: member ? 'unreachable' : 'failed',
          error:
            `${unreached}; it stays a member${hint}. force: true (--force) removes it from the federation ` +
            'all the same, and names what stays on it',
        };
      }
      outcome.error = undefined;
      outcome.state = writes ? 'unjoined' : 'to unjoin';
      const left = leftInMember(spec.federationName, record.name, spec.dns.zone);
      warn(log, outcome, `${unreached}; it leaves the federation (force), but these stay on the cluster: ${left}`);
    } else if (member) {
      // The same cluster may still be listed under another name: its DNS entry stays then.
      const stillListed = ctx.listed.some((c) => serverOf(ctx.kubeconfig, c.context) === member.server);
      if (!stillListed) outcome.steps.push(...(await convergeKubeDns(ctx, member, record.name, false, log, outcome)));
      outcome.steps.push(
        ...(await removeAll(memberObjects(spec, record.name).map(onMember(record.name)), () => member, opts)),
      );
    }
    if (ctx.federation && ctx.federationUp) {
      const secretName = record.secretName ?? record.name;
      // A listed cluster may have taken over the Secret's name: it is that cluster's now.
      const secretInUse = ctx.listed.some((c) => c.secretName === secretName);
      const recordObjects = federationMemberObjects(
        spec,
        { name: record.name, context: context ?? '', secretName },
        { endpoint: '', insecure: false, token: '' },
      );
      const unwanted = recordObjects.filter((o) => !(secretInUse && o.kind === 'Secret')).map(onFederation);
      outcome.steps.push(...(await removeAll(unwanted, () => ctx.federation as Cluster, opts)));
    }
  } catch (err) {
    return { ...outcome, state: 'failed', error: (err as Error).message };
  }
  return outcome;
}

/** The context to reach a member being unjoined when none is given: as recorded, or by its endpoint. */
function contextOf(ctx: MembershipContext, record: MemberRecord): string | undefined {
  const contexts = ctx.kubeconfig.getContexts();
  if (record.context && contexts.some((c) => c.name === record.context)) return record.context;
  if (!record.endpoint) return undefined;
  return contexts.find((c) => ctx.kubeconfig.getCluster(c.cluster)?.server === record.endpoint)?.name;
}

export function serverOf(kubeconfig: KubeConfig, context: string): string | undefined {
  const clusterName = kubeconfig.getContextObject(context)?.cluster;
  return clusterName ? kubeconfig.getCluster(clusterName)?.server : undefined;
}

export async function reachable(member: Cluster, outcome: MemberOutcome): Promise<boolean> {
  try {
    await member.ensureReachable();
    return true;
  } catch (err) {
    outcome.state = 'unreachable';
    outcome.error = (err as Error).message;
    return false;
  }
}

export function warn(log: Log, outcome: MemberOutcome, message: string): void {
  log.warning(message);
  outcome.warnings.push(`cluster "${outcome.name}": ${message}`);
}

/**
 * Sets (or removes) this federation's entry in the member's kube-dns ConfigMap. The patch is
 * guarded by the resourceVersion it was planned from; when someone else wrote in between, read
 * and plan again.
 */
export async function convergeKubeDns(
  ctx: MemberSideContext,
  member: Cluster,
  name: string,
  present: boolean,
  log: Log,
  outcome: MemberOutcome,
  /** The ConfigMaps as already read, for the first attempt. */
  read?: KubeDnsMaps,
): Promise<Step[]> {
  for (let attempt = 1; ; attempt++) {
    const maps = (attempt === 1 && read) || (await readKubeDns(member));
    const plan = planKubeDns(ctx.spec, name, maps, present);
    if (plan.warning && attempt === 1) warn(log, outcome, plan.warning);
    if (!plan.step) return [];
    try {
      return await execute([plan.step], () => member, { writes: ctx.writes, log });
    } catch (err) {
      if (!(err instanceof ClusterError && err.status === 409 && attempt < KUBE_DNS_ATTEMPTS)) throw err;
      log.info(`kube-dns ConfigMap changed while it was being updated; reading it again (attempt ${attempt + 1})`);
    }
  }
}
