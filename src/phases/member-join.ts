// Joining one member: its side (account, role, binding, kube-dns entry, token), which needs
// nothing of the federation API and so may start ahead of it, then its record in the federation.
// Every failure is kept in the member's outcome, so the other members go on.
import { converge, execute, observedOf } from '../apply/converge.js';
import { federationMemberObjects, memberObjects } from '../desired/member-objects.js';
import type { ClusterSpec } from '../inputs/spec.js';
import { ClusterError } from '../observe/cluster.js';
import { federationToken, tokenOf, watchToken } from '../observe/member-token.js';
import { planApply } from '../plan/plan.js';
import { prefixed } from '../report/log.js';
import {
  type MemberSide,
  type MemberSideContext,
  type MembershipContext,
  clustersFor,
  convergeKubeDns,
  onFederation,
  reachable,
  warn,
} from './member.js';
import { type MemberReads, accessOf, isSecret, memberCluster, onMember, probeAs, readMember } from './member-reads.js';
import type { MemberOutcome } from './member-outcome.js';

/** Joins `cluster`: its side (from `side` when already under way, else from `ahead` or anew), then its record. */
export async function joinMember(
  ctx: MembershipContext,
  cluster: ClusterSpec,
  ahead?: Promise<MemberReads>,
  side?: Promise<MemberSide>,
): Promise<MemberOutcome> {
  return recordMember(ctx, cluster, await (side ?? joinMemberSide(ctx, cluster, ahead)));
}

/**
 * The member's side of a join: its account, ClusterRole and binding, kube-dns entry and token
 * Secret, and the token read back. It needs nothing of the federation API, so a run starts it
 * beside the control plane's work (joinMembersAhead); its first write waits for `mayWrite`
 * (false: the run stopped before, and nothing is written). Never rejects.
 */
export async function joinMemberSide(
  ctx: MemberSideContext,
  cluster: ClusterSpec,
  ahead?: Promise<MemberReads>,
  mayWrite: Promise<boolean> = Promise.resolve(true),
): Promise<MemberSide> {
  const { spec, writes } = ctx;
  const log = prefixed(ctx.log, cluster.name);
  const reads = await (ahead ?? readMember(spec, ctx.kubeconfig, cluster));
  // The reads' own client and objects: a second of each would apply the member's credentials
  // and hash its objects again (a 100-member run's CPU is its time, on a runner's few cores).
  const member = reads.member ?? memberCluster(ctx.kubeconfig, cluster.name, cluster.context);
  const desired = reads.desired ?? memberObjects(spec, cluster.name).map(onMember(cluster.name));
  const outcome: MemberOutcome = {
    name: cluster.name,
    endpoint: member.server,
    state: 'joined',
    steps: [],
    warnings: [],
  };
  const { observation, dns } = reads;
  // The reads are the reachability check too. A server that did not answer them is
  // unreachable; one that refused them is probed as every run probes (a list of namespaces),
  // which tells credentials it refuses from a read that failed.
  if (observation instanceof ClusterError && observation.status === undefined) {
    return { outcome: { ...outcome, state: 'unreachable', error: observation.message } };
  }
  if (observation instanceof Error && !(await reachable(member, outcome))) return { outcome };
  try {
    const opts = { writes, log };
    if (observation instanceof Error) throw observation;
    const observed = observation;
    // Planned as a whole (a conflict changes nothing), applied in two round trips: the account,
    // its ClusterRole and binding at once, then the token Secret, which must find its account
    // (the token controller deletes a token Secret whose account does not exist).
    const steps = planApply(desired, (target, object) => observedOf(observed, { target, object }));
    const [account, secret] = [steps.filter((s) => !isSecret(s.object)), steps.filter((s) => isSecret(s.object))];
    if (writes && !(await mayWrite)) throw new Error('not joined: the run stopped before its members were written');
    // The token Secret as just read: a member already joined needs no second read of it. One
    // without a token yet is watched from before its writes, so that the token comes as soon as
    // the token controller fills it in.
    const tokenSecret = desired.map((d) => observedOf(observed, d)).find(isSecret);
    const watched =
      writes && !tokenOf(tokenSecret).token ? watchToken(member, spec, cluster.name, spec.timeoutMs) : undefined;
    let token;
    try {
      // The kube-dns entry needs nothing of the token: its patch goes out beside the account's writes.
      const [accountSteps, kubeDnsSteps] = await Promise.all([
        execute(account, () => member, { ...opts, together: true }),
        convergeKubeDns(ctx, member, cluster.name, true, log, outcome, dns),
      ]);
      outcome.steps.push(...accountSteps);
      outcome.steps.push(...(await execute(secret, () => member, opts)));
      token = await federationToken(member, spec, cluster.name, writes ? spec.timeoutMs : 0, log, tokenSecret, watched);
      outcome.steps.push(...kubeDnsSteps);
    } finally {
      watched?.stop();
    }
    if (token.token) ctx.mask(token.token);
    const access = accessOf(member, cluster, token);
    if (access.insecure) {
      outcome.tlsUnverified = true;
      warn(
        log,
        outcome,
        'its kubeconfig context skips TLS verification (insecure-skip-tls-verify): ' +
          'the federation will not verify its certificate either (disabledTLSValidations: ["*"])',
      );
    }
    return { outcome, record: { access, member, earlyProbe: reads.probe } };
  } catch (err) {
    return { outcome: { ...outcome, state: 'failed', error: (err as Error).message } };
  }
}

/** The member's record in the federation (its Secret, then its KubeFedCluster), once its side is done. */
async function recordMember(ctx: MembershipContext, cluster: ClusterSpec, side: MemberSide): Promise<MemberOutcome> {
  const { outcome, record: ready } = side;
  if (!ready) return outcome;
  const { spec, writes } = ctx;
  const { access, member, earlyProbe } = ready;
  try {
    // The health check's probe through the federation's token goes out now, beside the record's
    // writes (started with the reads when the token was the same).
    const early = earlyProbe?.token === access.token ? earlyProbe.problem : undefined;
    const probe = ctx.federationUp && access.token ? (early ?? probeAs(member, cluster.name, access)) : undefined;
    const record = federationMemberObjects(spec, cluster, access).map(onFederation);
    const recordSteps = await converge(
      record,
      clustersFor(ctx, member),
      { writes, log: prefixed(ctx.log, cluster.name) },
      ctx.federationUp,
    );
    outcome.steps.push(...recordSteps);
    // It is the federation's when the federation holds just this token: its record needed no
    // change, or has just been written. In check mode a record that differs holds another token,
    // which health probes itself.
    if (probe && (writes || recordSteps.length === 0)) ctx.probes?.set(cluster.name, probe);
  } catch (err) {
    return { ...outcome, state: 'failed', error: (err as Error).message };
  }
  if (!writes && outcome.steps.some((s) => s.object.kind === 'KubeFedCluster' && s.action === 'create'))
    outcome.state = 'not joined';
  else if (!writes && outcome.steps.length) outcome.state = 'out of date';
  return outcome;
}
