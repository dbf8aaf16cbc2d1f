// One member joined or unjoined: observed, planned and applied on its own, every failure kept
// in its outcome so the other members go on.
import type { KubeConfig } from '@kubernetes/client-node';
import { converge, execute, observedOf, removeAll } from '../apply/converge.js';
import { federationMemberObjects, leftInMember, memberObjects } from '../desired/member-objects.js';
import type { KubeObject } from '../desired/objects.js';
import type { ClusterSpec, Spec } from '../inputs/spec.js';
import { Cluster, ClusterError } from '../observe/cluster.js';
import { federationToken } from '../observe/member-token.js';
import { planKubeDns } from '../plan/kube-dns.js';
import {
  type KubeDnsMaps,
  type MemberReads,
  accessOf,
  isSecret,
  memberCluster,
  onMember,
  probeAs,
  readKubeDns,
  readMember,
} from './member-reads.js';
import { type Desired, type Step, planApply } from '../plan/plan.js';
import type { Target } from '../desired/objects.js';
import { Log, prefixed } from '../report/log.js';
import type { MemberOutcome } from './member-outcome.js';

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
  /** Where a joined member, its record now holding its token, leaves its probe through the federation's token. */
  probes?: Map<string, Promise<string | null>>;
}

/** A member joined by the action, as its KubeFedCluster records it. */
export interface MemberRecord {
  name: string;
  context?: string;
  endpoint?: string;
  secretName?: string;
}

function clustersFor(ctx: MembershipContext, member: Cluster) {
  return (t: Target): Cluster => {
    if (t.kind !== 'federation') return member;
    if (!ctx.federation) throw new Error('the federation API has no address yet');
    return ctx.federation;
  };
}

const onFederation = (object: KubeObject): Desired => ({ target: { kind: 'federation' }, object });

/** Joins `cluster`, from `ahead` when the member was read already in this run (nothing written since). */
export async function joinMember(
  ctx: MembershipContext,
  cluster: ClusterSpec,
  ahead?: Promise<MemberReads>,
): Promise<MemberOutcome> {
  const { spec, writes } = ctx;
  const log = prefixed(ctx.log, cluster.name);
  const member = memberCluster(ctx.kubeconfig, cluster.name, cluster.context);
  const outcome: MemberOutcome = {
    name: cluster.name,
    endpoint: member.server,
    state: 'joined',
    steps: [],
    warnings: [],
  };
  const clusterFor = clustersFor(ctx, member);
  const desired = memberObjects(spec, cluster.name).map(onMember(cluster.name));
  const reads = await (ahead ?? readMember(spec, ctx.kubeconfig, cluster));
  const { observation, dns } = reads;
  // The reads are the reachability check too. A server that did not answer them is
  // unreachable; one that refused them is probed as every run probes (a list of namespaces),
  // which tells credentials it refuses from a read that failed.
  if (observation instanceof ClusterError && observation.status === undefined) {
    return { ...outcome, state: 'unreachable', error: observation.message };
  }
  if (observation instanceof Error && !(await reachable(member, outcome))) return outcome;
  try {
    const opts = { writes, log };
    if (observation instanceof Error) throw observation;
    const observed = observation;
    // Planned as a whole (a conflict changes nothing), applied in two round trips: the account,
    // its ClusterRole and binding at once, then the token Secret, which must find its account
    // (the token controller deletes a token Secret whose account does not exist).
    const steps = planApply(desired, (target, object) => observedOf(observed, { target, object }));
    const [account, secret] = [steps.filter((s) => !isSecret(s.object)), steps.filter((s) => isSecret(s.object))];
    // The kube-dns entry needs nothing of the token: its patch goes out beside the account's writes.
    const [accountSteps, kubeDnsSteps] = await Promise.all([
      execute(account, clusterFor, { ...opts, together: true }),
      convergeKubeDns(ctx, member, cluster.name, true, log, outcome, dns),
    ]);
    outcome.steps.push(...accountSteps);
    outcome.steps.push(...(await execute(secret, clusterFor, opts)));
    // The token Secret as just read: a member already joined needs no second read of it.
    const tokenSecret = desired.map((d) => observedOf(observed, d)).find(isSecret);
    const token = await federationToken(member, spec, cluster.name, writes ? spec.timeoutMs : 0, log, tokenSecret);
    if (token.token) ctx.mask(token.token);
    outcome.steps.push(...kubeDnsSteps);
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
    // The health check's probe through the federation's token goes out now, beside the record's
    // writes (started with the reads when the token was the same).
    const early = reads.probe?.token === access.token ? reads.probe.problem : undefined;
    const probe = ctx.federationUp && access.token ? (early ?? probeAs(member, cluster.name, access)) : undefined;
    const record = federationMemberObjects(spec, cluster, access).map(onFederation);
    const recordSteps = await converge(record, clusterFor, opts, ctx.federationUp);
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

async function reachable(member: Cluster, outcome: MemberOutcome): Promise<boolean> {
  try {
    await member.ensureReachable();
    return true;
  } catch (err) {
    outcome.state = 'unreachable';
    outcome.error = (err as Error).message;
    return false;
  }
}

function warn(log: Log, outcome: MemberOutcome, message: string): void {
  log.warning(message);
  outcome.warnings.push(`cluster "${outcome.name}": ${message}`);
}

/**
 * Sets (or removes) this federation's entry in the member's kube-dns ConfigMap. The patch is
 * guarded by the resourceVersion it was planned from; when someone else wrote in between, read
 * and plan again.
 */
async function convergeKubeDns(
  ctx: MembershipContext,
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
