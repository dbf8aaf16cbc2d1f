// `kubefed join` and `unjoin` as convergence of the `clusters` list: each member is observed,
// planned and applied on its own, members in parallel with a bound, and a member that fails
// is reported without stopping the others.
import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { Cluster, ClusterError } from './cluster.js';
import { converge, execute, observeAll, observedOf, removeAll } from './converge.js';
import { KUBEFED_API } from './kubefed-crds.js';
import { waitFor } from './health.js';
import type { ClusterSpec, Spec } from './inputs.js';
import { forContext } from './kubeconfig.js';
import { MEMBER_RECORD_KINDS, SnapshotCluster } from './snapshot.js';
import { Log, prefixed } from './log.js';
import {
  CONTEXT_ANNOTATION,
  COREDNS,
  KUBE_DNS,
  MEMBER_NAMESPACE,
  MemberAccess,
  federationMemberObjects,
  memberNames,
  memberObjects,
  planKubeDns,
} from './membership.js';
import { KubeObject, Target, fromBase64, ownedBySelector } from './objects.js';
import type { Desired, Step } from './plan.js';

/** How many members are worked on at once: enough to hide latency, few enough to be polite. */
export const MEMBER_CONCURRENCY = 8;
const KUBE_DNS_ATTEMPTS = 5;

export type MemberState = 'joined' | 'not joined' | 'out of date' | 'unjoined' | 'to unjoin' | 'joined, not listed' | 'unreachable' | 'failed';

export interface MemberOutcome {
  name: string;
  endpoint?: string;
  state: MemberState;
  /** Changes made (or, without writes, that would be made) for this member, on every cluster. */
  steps: Step[];
  /** What went wrong; the step fails at the end when any member has one. */
  error?: string;
  warnings: string[];
  /** Its kubeconfig context skips TLS verification (and so does the federation's record). */
  tlsUnverified?: boolean;
}

export interface MembershipContext {
  spec: Spec;
  kubeconfig: KubeConfig;
  /** The federation API, or undefined when it has no address yet (a plan before the first apply). */
  federation?: Cluster;
  federationUp: boolean;
  writes: boolean;
  log: Log;
  mask: (secret: string) => void;
}

/** A member joined by the action, as its KubeFedCluster records it. */
export interface MemberRecord {
  name: string;
  context?: string;
  endpoint?: string;
  secretName?: string;
}

/**
 * Joins every listed cluster, then (with prune) unjoins the clusters the action joined that
 * are no longer listed. Joins go first so a cluster renamed in the list is never without
 * its DNS entry or credentials in between.
 */
export async function convergeMembership(given: MembershipContext): Promise<MemberOutcome[]> {
  const ctx = await withMemberRecords(given);
  const limit = pLimit(MEMBER_CONCURRENCY);
  const records = await joinedMembers(ctx);
  const listed = new Set(ctx.spec.clusters.map((c) => c.name));
  const stale = records.filter((r) => !listed.has(r.name));
  const joins = await joinListed(ctx);
  if (!ctx.spec.prune) {
    if (stale.length) ctx.log.info(`joined but no longer listed: ${stale.map((r) => r.name).join(', ')} (prune: true unjoins them)`);
    return [...joins, ...stale.map((r): MemberOutcome => ({ name: r.name, endpoint: r.endpoint, state: 'joined, not listed', steps: [], warnings: [] }))];
  }
  return [...joins, ...(await Promise.all(stale.map((r) => limit(() => unjoinMember(ctx, r)))))];
}

/** Joins the listed clusters (`kubefed join`), leaving every other member as it is. */
export async function joinListed(ctx: MembershipContext): Promise<MemberOutcome[]> {
  const limit = pLimit(MEMBER_CONCURRENCY);
  return Promise.all(ctx.spec.clusters.map((c) => limit(() => joinMember(ctx, c))));
}

/**
 * Unjoins one member by name (`kubefed unjoin`), through the given context or else the one
 * its record names. Fails when the federation has no such member and the context reaches none.
 */
export async function unjoinNamed(ctx: MembershipContext, name: string, context?: string): Promise<MemberOutcome> {
  const record = (await joinedMembers(ctx)).find((r) => r.name === name);
  if (!record && !context) {
    return { name, state: 'failed', steps: [], warnings: [], error: `is not a member of federation ${ctx.spec.federationName} (no KubeFedCluster "${name}" made by this action)` };
  }
  return unjoinMember(ctx, { ...(record ?? { name }), ...(context ? { context } : {}) });
}

/** Unjoins every member: those the federation records, and every listed cluster besides. */
export async function unjoinAll(ctx: MembershipContext): Promise<MemberOutcome[]> {
  const limit = pLimit(MEMBER_CONCURRENCY);
  const records = await joinedMembers(ctx);
  const all = [...records, ...ctx.spec.clusters.filter((c) => !records.some((r) => r.name === c.name)).map((c) => ({ name: c.name }))];
  return Promise.all(all.map((r) => limit(() => unjoinMember(ctx, r))));
}

/** The context with the members' records in the federation read once, for all members. */
async function withMemberRecords(ctx: MembershipContext): Promise<MembershipContext> {
  if (!ctx.federation || !ctx.federationUp) return ctx;
  return { ...ctx, federation: await SnapshotCluster.of(ctx.federation, ctx.spec.namespace, MEMBER_RECORD_KINDS) };
}

/** The KubeFedClusters this action created for this federation. */
async function joinedMembers(ctx: MembershipContext): Promise<MemberRecord[]> {
  if (!ctx.federation || !ctx.federationUp) return [];
  const items = await ctx.federation.list(KUBEFED_API, 'KubeFedCluster', ownedBySelector(ctx.spec.federationName), ctx.spec.namespace);
  return items.map((kfc) => {
    const spec = (kfc.spec ?? {}) as { apiEndpoint?: string; secretRef?: { name?: string } };
    return { name: kfc.metadata.name, context: kfc.metadata.annotations?.[CONTEXT_ANNOTATION], endpoint: spec.apiEndpoint, secretName: spec.secretRef?.name };
  });
}

function memberCluster(kubeconfig: KubeConfig, name: string, context: string): Cluster {
  return new Cluster({ kind: 'member', cluster: name }, `cluster "${name}" (context "${context}")`, forContext(kubeconfig, context, 'clusters'));
}

function clustersFor(ctx: MembershipContext, member: Cluster) {
  return (t: Target): Cluster => {
    if (t.kind !== 'federation') return member;
    if (!ctx.federation) throw new Error('the federation API has no address yet');
    return ctx.federation;
  };
}

const onMember = (cluster: string) => (object: KubeObject): Desired => ({ target: { kind: 'member', cluster }, object });
const onFederation = (object: KubeObject): Desired => ({ target: { kind: 'federation' }, object });

async function joinMember(ctx: MembershipContext, cluster: ClusterSpec): Promise<MemberOutcome> {
  const { spec, writes } = ctx;
  const log = prefixed(ctx.log, cluster.name);
  const member = memberCluster(ctx.kubeconfig, cluster.name, cluster.context);
  const outcome: MemberOutcome = { name: cluster.name, endpoint: member.server, state: 'joined', steps: [], warnings: [] };
  if (!(await reachable(member, outcome))) return outcome;
  try {
    const clusterFor = clustersFor(ctx, member);
    const opts = { writes, log };
    const desired = memberObjects(spec, cluster.name).map(onMember(cluster.name));
    const observed = await observeAll(desired, clusterFor);
    outcome.steps.push(...(await converge(desired, clusterFor, opts, true, observed)));
    // The token Secret as just read: a member already joined needs no second read of it.
    const tokenSecret = desired.map((d) => observedOf(observed, d)).find((o) => o?.kind === 'Secret');
    const token = await federationToken(member, spec, cluster.name, writes ? spec.timeoutMs : 0, log, tokenSecret);
    if (token.token) ctx.mask(token.token);
    outcome.steps.push(...(await convergeKubeDns(ctx, member, cluster.name, true, log, outcome)));
    const access: MemberAccess = { endpoint: cluster.endpoint ?? member.server, caPem: caOf(member) ?? token.caPem, insecure: member.config.getCurrentCluster()?.skipTLSVerify === true, token: token.token };
    if (access.insecure) {
      outcome.tlsUnverified = true;
      warn(log, outcome, 'its kubeconfig context skips TLS verification (insecure-skip-tls-verify): the federation will not verify its certificate either (disabledTLSValidations: ["*"])');
    }
    const record = federationMemberObjects(spec, cluster, access).map(onFederation);
    outcome.steps.push(...(await converge(record, clusterFor, opts, ctx.federationUp)));
  } catch (err) {
    return { ...outcome, state: 'failed', error: (err as Error).message };
  }
  if (!writes && outcome.steps.some((s) => s.object.kind === 'KubeFedCluster' && s.action === 'create')) outcome.state = 'not joined';
  else if (!writes && outcome.steps.length) outcome.state = 'out of date';
  return outcome;
}

/**
 * Deletes what join made: the member's kube-dns entry, token, binding, role and account, then
 * the member's Secret and KubeFedCluster in the federation. The KubeFedCluster is the record of
 * the membership, so it goes last: a run that fails half way still finds the cluster next time.
 */
async function unjoinMember(ctx: MembershipContext, record: MemberRecord): Promise<MemberOutcome> {
  const { spec, writes } = ctx;
  const log = prefixed(ctx.log, record.name);
  const outcome: MemberOutcome = { name: record.name, endpoint: record.endpoint, state: writes ? 'unjoined' : 'to unjoin', steps: [], warnings: [] };
  const opts = { writes, log };
  const context = contextOf(ctx, record);
  try {
    if (context) {
      const member = memberCluster(ctx.kubeconfig, record.name, context);
      outcome.endpoint ??= member.server;
      if (!(await reachable(member, outcome))) return outcome;
      // The same cluster may still be listed under another name: its DNS entry stays then.
      const stillListed = spec.mode !== 'destroy' && spec.clusters.some((c) => serverOf(ctx.kubeconfig, c.context) === member.server);
      if (!stillListed) outcome.steps.push(...(await convergeKubeDns(ctx, member, record.name, false, log, outcome)));
      outcome.steps.push(...(await removeAll(memberObjects(spec, record.name).map(onMember(record.name)), () => member, opts)));
    } else {
      const n = memberNames(spec.federationName, record.name);
      const left = `ServiceAccount ${MEMBER_NAMESPACE}/${n.serviceAccount}, Secret ${MEMBER_NAMESPACE}/${n.tokenSecret}, ClusterRole and ClusterRoleBinding ${n.clusterRole}`;
      warn(log, outcome, `no kubeconfig context reaches ${record.endpoint ?? 'it'}: it leaves the federation, but ${left} stay on the cluster (and its token stays valid) until it is unjoined with a context for it`);
    }
    if (ctx.federation && ctx.federationUp) {
      const secretName = record.secretName ?? spec.clusters.find((c) => c.name === record.name)?.secretName ?? record.name;
      // A listed cluster may have taken over the Secret's name: it is that cluster's now.
      const secretInUse = spec.mode !== 'destroy' && spec.clusters.some((c) => c.secretName === secretName);
      const recordObjects = federationMemberObjects(spec, { name: record.name, context: context ?? '', secretName }, { endpoint: '', insecure: false, token: '' });
      const unwanted = recordObjects.filter((o) => !(secretInUse && o.kind === 'Secret')).map(onFederation);
      outcome.steps.push(...(await removeAll(unwanted, () => ctx.federation as Cluster, opts)));
    }
  } catch (err) {
    return { ...outcome, state: 'failed', error: (err as Error).message };
  }
  return outcome;
}

/** The context to reach a member being unjoined: as listed, as recorded, or by its endpoint. */
function contextOf(ctx: MembershipContext, record: MemberRecord): string | undefined {
  const listed = ctx.spec.clusters.find((c) => c.name === record.name);
  if (listed) return listed.context;
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
async function convergeKubeDns(ctx: MembershipContext, member: Cluster, name: string, present: boolean, log: Log, outcome: MemberOutcome): Promise<Step[]> {
  for (let attempt = 1; ; attempt++) {
    const [kubeDns, coreDns] = await Promise.all([member.read(configMap(KUBE_DNS)), member.read(configMap(COREDNS))]);
    const plan = planKubeDns(ctx.spec, name, { kubeDns, coreDns }, present);
    if (plan.warning) warn(log, outcome, plan.warning);
    if (!plan.step) return [];
    try {
      return await execute([plan.step], () => member, { writes: ctx.writes, log });
    } catch (err) {
      if (!(err instanceof ClusterError && err.status === 409 && attempt < KUBE_DNS_ATTEMPTS)) throw err;
      log.info(`kube-dns ConfigMap changed while it was being updated; reading it again (attempt ${attempt + 1})`);
    }
  }
}

const configMap = (ref: { name: string; namespace: string }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...ref } });

/**
 * The federation's token in the member, once the token controller has issued it (waited for up
 * to `waitMs`), and the cluster CA the controller put beside it.
 */
async function federationToken(member: Cluster, spec: Spec, cluster: string, waitMs: number, log: Log, known?: KubeObject): Promise<{ token: string; caPem?: string }> {
  const n = memberNames(spec.federationName, cluster);
  const ref = { apiVersion: 'v1', kind: 'Secret', metadata: { name: n.tokenSecret, namespace: MEMBER_NAMESPACE } };
  const tokenOf = (secret?: KubeObject) => {
    const data = (secret?.data ?? {}) as Record<string, string>;
    return { token: fromBase64(data.token) ?? '', caPem: fromBase64(data['ca.crt']) };
  };
  const read = async () => tokenOf(await member.read(ref));
  const already = known?.metadata.name === n.tokenSecret ? tokenOf(known) : undefined;
  let found = already?.token ? already : await read();
  if (found.token || waitMs <= 0) return found;
  await waitFor(`the token of ServiceAccount ${MEMBER_NAMESPACE}/${n.serviceAccount} in ${member.label}`, waitMs, log, async () => {
    found = await read();
    return found.token ? null : 'the token controller has not filled in the Secret yet';
  });
  return found;
}

/** The CA the kubeconfig trusts for the member's API server (PEM), if it names one. */
function caOf(member: Cluster): string | undefined {
  const cluster = member.config.getCurrentCluster();
  if (cluster?.caData) return fromBase64(cluster.caData);
  if (cluster?.caFile) return readFileSync(cluster.caFile, 'utf8');
  return undefined;
}
