// Whether a federated object is delivered, judged by KubeFed's own status of it (v0.10.0,
// pkg/controller/sync/status): the Propagation condition, each placed member's
// `status.clusters[].status` ("" is OK), and, where KubeFed collects the members' status of the
// object (RawResourceStatusCollection), the rollout that status reports. Pure.

/** How a member's copy is judged: by its rollout, or (no collection, no rollout notion) by its presence. */
export type Judged = 'rollout' | 'presence';

import type { Rollout } from '../desired/federated-types.js';

export interface MemberDelivery {
  /** KubeFed's propagation status ("OK" for its ""), or "Pending" before KubeFed reports the generation. */
  status: string;
  /** Why it is not delivered, or what shows it is ("2/2 available", "present"). */
  reason: string;
  delivered: boolean;
  /** A failure that no wait mends: only an edit of the object does. */
  final?: boolean;
}

export interface ObjectDelivery {
  /** Federated<Kind>/[namespace/]name. */
  object: string;
  judged: Judged;
  /** The object-wide reason it is not delivered (the Propagation condition's, or a generation not reported). */
  reason?: string;
  final?: boolean;
  /** Member name → its delivery. */
  clusters: Record<string, MemberDelivery>;
  delivered: boolean;
}

export interface FederatedStatusFields {
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number };
  spec?: {
    template?: { spec?: { replicas?: number } };
    overrides?: { clusterName?: string; clusterOverrides?: { op?: string; path: string; value?: unknown }[] }[];
    retainReplicas?: boolean;
  };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string }[];
    clusters?: { name: string; status?: string; remoteStatus?: RemoteStatus }[];
  };
}

interface RemoteStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  readyReplicas?: number;
  succeeded?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

/**
 * Statuses no wait mends: KubeFed cannot build the member's object (an override that does not
 * apply, fields it cannot retain), or the member's object is marked unmanaged. The others
 * (ClusterNotReady, CreationFailed, ...) KubeFed retries, or they clear when a member returns.
 */
const FINAL_STATUSES = new Set([
  'ApplyOverridesFailed',
  'ComputeResourceFailed',
  'FieldRetentionFailed',
  'ManagedLabelFalse',
]);
const FINAL_REASONS = new Set(['ComputePlacementFailed']);

/** The object's name as the report shows it. */
export const objectName = (o: Pick<FederatedStatusFields, 'kind' | 'metadata'>): string =>
  `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * Judges one federated object. `rollout` is its target kind's notion of rollout, used only when
 * KubeFed collects the members' status (`collecting`); `memberGenerations` holds each member's
 * generation of the object as KubeFed last wrote it (its PropagatedVersion), when known.
 */
export function judgeDelivery(
  obj: FederatedStatusFields,
  rollout: Rollout | undefined,
  collecting: boolean,
  memberGenerations: Map<string, number> = new Map(),
): ObjectDelivery {
  const judged: Judged = rollout && collecting ? 'rollout' : 'presence';
  const object = objectName(obj);
  const generation = obj.metadata.generation ?? 0;
  const observed = obj.status?.observedGeneration;
  const notDelivered = (reason: string, clusters: Record<string, MemberDelivery> = {}, final = false) => ({
    object,
    judged,
    reason,
    ...(final ? { final } : {}),
    clusters,
    delivered: false,
  });
  if (observed === undefined || observed < generation) {
    const pending =
      observed === undefined ? 'KubeFed has not reported on it yet' : `status is of generation ${observed}`;
    return notDelivered(`pending: generation ${generation} not yet propagated (${pending})`);
  }
  const clusters: Record<string, MemberDelivery> = {};
  for (const c of obj.status?.clusters ?? []) {
    clusters[c.name] = judgeMember(obj, c, judged === 'rollout' ? rollout : undefined, memberGenerations.get(c.name));
  }
  const propagation = obj.status?.conditions?.find((c) => c.type === 'Propagation');
  // CheckClusters only says a member's status tells why: the members are judged one by one.
  if (propagation?.status === 'False' && propagation.reason && propagation.reason !== 'CheckClusters') {
    return notDelivered(`Propagation: ${propagation.reason}`, clusters, FINAL_REASONS.has(propagation.reason));
  }
  const members = Object.values(clusters);
  const delivered = members.every((m) => m.delivered);
  if (!delivered && members.every((m) => m.delivered || m.final)) return notDelivered('', clusters, true);
  return { object, judged, clusters, delivered };
}

function judgeMember(
  obj: FederatedStatusFields,
  c: { name: string; status?: string; remoteStatus?: RemoteStatus },
  rollout: Rollout | undefined,
  memberGeneration: number | undefined,
): MemberDelivery {
  const status = c.status || 'OK';
  if (status === 'WaitingForRemoval') return { status, reason: 'being removed from the member', delivered: false };
  if (status !== 'OK') {
    const final = FINAL_STATUSES.has(status);
    return { status, reason: status, delivered: false, ...(final ? { final } : {}) };
  }
  if (!rollout) return { status, reason: 'present', delivered: true };
  const remote = c.remoteStatus;
  if (!remote) return { status, reason: "the member's status is not collected yet", delivered: false };
  if (memberGeneration !== undefined && (remote.observedGeneration ?? 0) < memberGeneration) {
    const seen = remote.observedGeneration ?? 0;
    const reason = `the member has not observed generation ${memberGeneration} yet (status of ${seen})`;
    return { status, reason, delivered: false };
  }
  return rollout === 'job' ? judgeJob(status, remote) : judgeReplicas(status, remote, desiredReplicas(obj, c.name));
}

function judgeJob(status: string, remote: RemoteStatus): MemberDelivery {
  const condition = (type: string) => remote.conditions?.find((x) => x.type === type && x.status === 'True');
  const failed = condition('Failed');
  if (failed) return { status, reason: `failed: ${failed.reason ?? 'Failed'}`, delivered: false, final: true };
  if (condition('Complete')) return { status, reason: 'complete', delivered: true };
  return { status, reason: `not complete (${remote.succeeded ?? 0} succeeded)`, delivered: false };
}

function judgeReplicas(status: string, remote: RemoteStatus, desired: number | undefined): MemberDelivery {
  const want = desired ?? remote.replicas ?? 0;
  const available = remote.availableReplicas ?? 0;
  const updated = remote.updatedReplicas ?? remote.replicas ?? 0;
  const stalled = remote.conditions?.find((x) => x.type === 'Progressing' && x.status === 'False');
  const counts = `${available}/${want} available`;
  if (available === want && updated === want && (remote.replicas ?? 0) === want) {
    return { status, reason: counts, delivered: true };
  }
  const detail = updated !== want ? `, ${updated}/${want} updated` : '';
  const why = stalled ? ` (${stalled.reason ?? 'not progressing'})` : '';
  return { status, reason: `${counts}${detail}${why}`, delivered: false };
}

/**
 * The replicas the member's copy should have: an override of /spec/replicas for the member,
 * else the template's (1 when unset); unknown when the members keep their own (retainReplicas).
 */
function desiredReplicas(obj: FederatedStatusFields, cluster: string): number | undefined {
  if (obj.spec?.retainReplicas) return undefined;
  const overrides = obj.spec?.overrides?.find((o) => o.clusterName === cluster)?.clusterOverrides ?? [];
  const replicas = overrides.find((o) => o.path === '/spec/replicas' && (o.op ?? 'replace') !== 'remove');
  if (replicas && typeof replicas.value === 'number') return replicas.value;
  return obj.spec?.template?.spec?.replicas ?? 1;
}

/** What is not delivered, in one line: "2/3 delivered, waiting for noldor: 1/2 available". */
export function deliveryProgress(deliveries: ObjectDelivery[]): string {
  const done = deliveries.filter((d) => d.delivered).length;
  const waiting = deliveries
    .filter((d) => !d.delivered)
    .map((d) => {
      const members = Object.entries(d.clusters).filter(([, m]) => !m.delivered);
      const why = [d.reason, ...members.map(([name, m]) => `${name}: ${m.reason}`)].filter(Boolean).join(', ');
      return `${d.object} (${why || 'not delivered'})`;
    });
  return `${done}/${deliveries.length} delivered${waiting.length ? `, waiting for ${waiting.join('; ')}` : ''}`;
}

/** One problem per object not delivered, naming the members and why. */
export function deliveryProblems(deliveries: ObjectDelivery[]): string[] {
  return deliveries
    .filter((d) => !d.delivered)
    .map((d) => {
      const members = Object.entries(d.clusters).filter(([, m]) => !m.delivered);
      const why = [d.reason, ...members.map(([name, m]) => `cluster "${name}": ${m.reason}`)].filter(Boolean);
      return `${d.object} is not delivered: ${why.join('; ') || 'no member reported'}`;
    });
}
