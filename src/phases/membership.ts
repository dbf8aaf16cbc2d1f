// Membership: `kubefed join` and `unjoin` as convergence of the `clusters` list. Members are
// worked on in parallel with a bound, and a member that fails is reported without stopping the
// others. Which clusters stay members is decided by the phase (and so by the mode), not here.
import pLimit from 'p-limit';
import { CONTEXT_ANNOTATION } from '../desired/member-objects.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import { ownedBySelector } from '../desired/objects.js';
import type { ClusterSpec } from '../inputs/spec.js';
import { MEMBER_RECORD_KINDS, SnapshotCluster } from '../observe/snapshot.js';
import { type MemberRecord, type MemberSide, type MembershipContext, unjoinMember } from './member.js';
import { joinMember, joinMemberSide } from './member-join.js';
import { heldLog } from '../report/log.js';
import { readMember } from './member-reads.js';
import type { MemberOutcome } from './member-outcome.js';
import type { Phase, Scope } from './scope.js';

/**
 * How many members are worked on at once. A member's work is waiting on its own server across
 * the network (a few round trips), not on this runner's CPU: a small bound would make 100
 * members wait in line for round trips that could overlap. The bound only keeps the open
 * connections and requests in flight within what a runner and the servers take in stride.
 */
export const MEMBER_CONCURRENCY = 128;

/** What the membership functions need of the scope, and the clusters that stay members. */
const membershipOf = (scope: Scope, listed: ClusterSpec[]): MembershipContext => ({
  spec: scope.spec,
  kubeconfig: scope.kubeconfig,
  federation: scope.federation?.cluster,
  federationUp: scope.federationUp,
  writes: scope.writes,
  log: scope.log,
  mask: scope.mask,
  listed,
  // Reads from before a write of this run would plan against what is no longer there.
  readAhead: scope.writes && scope.steps.length ? undefined : scope.memberReads,
  sides: scope.memberSides,
  probes: (scope.memberProbes ??= new Map()),
  recordsAhead: scope.memberRecordsAhead,
});

function record(scope: Scope, outcomes: MemberOutcome[]): void {
  scope.members.push(...outcomes);
  scope.steps.push(...outcomes.flatMap((o) => o.steps));
  scope.warnings.push(...outcomes.flatMap((o) => o.warnings));
}

/** apply, plan and check: every listed cluster joined, and (with prune) no other. */
export const convergeMembers: Phase = async (scope) => {
  const endGroup = scope.log.group('Member clusters');
  // What the members' sides logged while the control plane's section was open.
  scope.releaseMemberLog?.();
  record(scope, await convergeMembership(membershipOf(scope, scope.spec.clusters)));
  endGroup();
};

/** `kubefed join`: the listed cluster joined, every other member left as it is. */
export const joinListedMembers: Phase = async (scope) => {
  record(scope, await joinListed(membershipOf(scope, scope.spec.clusters)));
};

/** `kubefed unjoin`: the one named cluster leaves, through its given context or its recorded one. */
export const unjoinNamedMember: Phase = async (scope) => {
  const [cluster] = scope.spec.clusters;
  const context = cluster.context !== cluster.name ? cluster.context : undefined;
  record(scope, [await unjoinNamed(membershipOf(scope, []), cluster.name, context)]);
};

/**
 * destroy: every member leaves, recorded or listed. Records that cannot be read leave the
 * members beyond the listed ones unknown: the listed ones still leave, and the scope says so.
 */
export const unjoinEveryMember: Phase = async (scope) => {
  const endGroup = scope.log.group('Unjoining member clusters');
  const ctx = membershipOf(scope, []);
  const records = await joinedMembers(ctx).catch((err: unknown) => {
    scope.membersUnknown =
      `the federation's member records (KubeFedClusters in ${scope.spec.namespace}) ` +
      `could not be read: ${(err as Error).message}`;
    return [];
  });
  record(scope, await unjoinAll(ctx, records, scope.spec.clusters));
  endGroup();
};

/**
 * Joins every listed cluster, then (with prune) unjoins the clusters the action joined that
 * are no longer listed. Joins go first so a cluster renamed in the list is never without
 * its DNS entry or credentials in between.
 */
async function convergeMembership(given: MembershipContext): Promise<MemberOutcome[]> {
  const ctx = await withMemberRecords(given);
  const limit = pLimit(MEMBER_CONCURRENCY);
  const records = await joinedMembers(ctx);
  const listed = new Set(ctx.listed.map((c) => c.name));
  const stale = records.filter((r) => !listed.has(r.name));
  const joins = await joinListed(ctx);
  if (!ctx.spec.prune) {
    if (stale.length)
      ctx.log.info(`joined but no longer listed: ${stale.map((r) => r.name).join(', ')} (prune: true unjoins them)`);
    return [
      ...joins,
      ...stale.map((r): MemberOutcome => ({
        name: r.name,
        endpoint: r.endpoint,
        state: 'joined, not listed',
        steps: [],
        warnings: [],
      })),
    ];
  }
  return [...joins, ...(await Promise.all(stale.map((r) => limit(() => unjoinMember(ctx, r)))))];
}

/** Joins the listed clusters (`kubefed join`), leaving every other member as it is. */
async function joinListed(ctx: MembershipContext): Promise<MemberOutcome[]> {
  const limit = pLimit(MEMBER_CONCURRENCY);
  return Promise.all(
    ctx.listed.map((c) => limit(() => joinMember(ctx, c, ctx.readAhead?.get(c.name), ctx.sides?.get(c.name)))),
  );
}

/**
 * The listed members' reads, started before the control plane is converged: they depend on
 * nothing the host or the federation holds, so their connections and round trips overlap the
 * control plane's instead of following them (the members are in other regions, the host often
 * too). Membership uses them only while the run has written nothing (see membershipOf).
 */
export const readMembersAhead: Phase = async (scope) => {
  const limit = pLimit(MEMBER_CONCURRENCY);
  scope.memberReads = new Map(
    scope.spec.clusters.map((c) => [c.name, limit(() => readMember(scope.spec, scope.kubeconfig, c))]),
  );
};

/**
 * The listed members' sides of their joins (account, role, binding, kube-dns entry, token),
 * started once the host answered and beside the control plane's work: they need nothing of the
 * federation API, which only their records do (convergeMembers). They write once the control
 * plane's first reads on the host are back (its input checks, such as the etcd volume's, among
 * them): a run that stops before that writes nothing in any member. Their log lines are held
 * until the members' section of the log opens.
 */
export const joinMembersAhead: Phase = async (scope) => {
  const limit = pLimit(MEMBER_CONCURRENCY);
  const held = heldLog(scope.log);
  const ctx = { ...membershipOf(scope, scope.spec.clusters), log: held.log };
  const mayWrite = (scope.controlPlaneAhead ?? Promise.resolve()).then(
    () => true,
    () => false,
  );
  scope.releaseMemberLog = held.release;
  // Awaited only later (convergeMembers): a failure must be the member's outcome, never a rejection.
  const sideOf = (c: ClusterSpec) =>
    joinMemberSide(ctx, c, ctx.readAhead?.get(c.name), mayWrite).catch((err: unknown): MemberSide => ({
      outcome: { name: c.name, state: 'failed', steps: [], warnings: [], error: (err as Error).message },
    }));
  scope.memberSides = new Map(scope.spec.clusters.map((c) => [c.name, limit(() => sideOf(c))]));
};

/** What was started ahead and still runs is done before the run ends, its log lines written, whatever ended it. */
export async function settleMembersAhead(scope: Scope): Promise<void> {
  if (!scope.memberSides) return;
  await Promise.all(scope.memberSides.values());
  scope.releaseMemberLog?.();
}

/**
 * Unjoins one member by name (`kubefed unjoin`), through the given context or else the one
 * its record names. Fails when the federation has no such member and the context reaches none.
 */
async function unjoinNamed(ctx: MembershipContext, name: string, context?: string): Promise<MemberOutcome> {
  const record = (await joinedMembers(ctx)).find((r) => r.name === name);
  if (!record && !context) {
    return {
      name,
      state: 'failed',
      steps: [],
      warnings: [],
      error:
        `is not a member of federation ${ctx.spec.federationName} ` +
        `(no KubeFedCluster "${name}" made by this action)`,
    };
  }
  return unjoinMember(ctx, record ?? { name }, context);
}

/**
 * Unjoins every member: those the federation records, and every cluster in `clusters` besides,
 * each through its context there when it has one.
 */
async function unjoinAll(
  ctx: MembershipContext,
  records: MemberRecord[],
  clusters: ClusterSpec[],
): Promise<MemberOutcome[]> {
  const limit = pLimit(MEMBER_CONCURRENCY);
  const listed = (name: string) => clusters.find((c) => c.name === name);
  const unrecorded = clusters.filter((c) => !records.some((r) => r.name === c.name));
  const all = [
    ...records.map((r) => ({ ...r, secretName: r.secretName ?? listed(r.name)?.secretName })),
    ...unrecorded.map((c) => ({ name: c.name, secretName: c.secretName })),
  ];
  return Promise.all(all.map((r) => limit(() => unjoinMember(ctx, r, listed(r.name)?.context))));
}

/** The context with the members' records in the federation read once, for all members. */
async function withMemberRecords(ctx: MembershipContext): Promise<MembershipContext> {
  if (!ctx.federation || !ctx.federationUp) return ctx;
  const records = ctx.recordsAhead ?? SnapshotCluster.of(ctx.federation, ctx.spec.namespace, MEMBER_RECORD_KINDS);
  return { ...ctx, federation: await records };
}

/** The KubeFedClusters this action created for this federation. */
async function joinedMembers(ctx: MembershipContext): Promise<MemberRecord[]> {
  if (!ctx.federation || !ctx.federationUp) return [];
  const items = await ctx.federation.list(
    KUBEFED_API,
    'KubeFedCluster',
    ownedBySelector(ctx.spec.federationName),
    ctx.spec.namespace,
  );
  return items.map((kfc) => {
    const spec = (kfc.spec ?? {}) as { apiEndpoint?: string; secretRef?: { name?: string } };
    return {
      name: kfc.metadata.name,
      context: kfc.metadata.annotations?.[CONTEXT_ANNOTATION],
      endpoint: spec.apiEndpoint,
      secretName: spec.secretRef?.name,
    };
  });
}
