// Reads of the control plane's Deployments and Pods on the host, and of what explains a Pod
// that does not run (its events, its claims, the previous container's log): one list of each
// kind per check, and the rest only for the Pods that need it (report/pod-diagnosis.ts decides).
import { FEDERATION_LABEL, ownedBySelector } from '../desired/objects.js';
import type { DeploymentFields } from '../report/control-plane-health.js';
import { type EventFields, type Evidence, LOG_TAIL_LINES, type PodFields } from '../report/pod-diagnosis.js';
import type { Cluster } from './cluster.js';

/** The control plane's Deployments by name, and its Pods. */
export interface ControlPlaneRead {
  deployments: Map<string, DeploymentFields>;
  pods: PodFields[];
}

/** The federation's Deployments by name, and the Pods of its control plane, in its namespace. */
export async function readControlPlane(
  host: Cluster,
  namespace: string,
  federation: string,
): Promise<ControlPlaneRead> {
  const [deployments, pods] = await Promise.all([
    host.list('apps/v1', 'Deployment', ownedBySelector(federation), namespace),
    host.list('v1', 'Pod', `${FEDERATION_LABEL}=${federation}`, namespace),
  ]);
  return {
    deployments: new Map(deployments.map((d) => [d.metadata.name, d as DeploymentFields])),
    pods: pods as PodFields[],
  };
}

/** A previous container's log reads at most this much (the tail of a long line is enough). */
const LOG_LIMIT_BYTES = 8192;

/** What explains the troubles found: the named Pods' events, the previous logs, the claims. */
export async function readEvidence(
  host: Cluster,
  namespace: string,
  needed: { podEvents: string[]; logs: [string, string][]; claims: string[] },
): Promise<Evidence> {
  const eventsOf = async (kind: string, name: string): Promise<EventFields[]> => {
    try {
      const list = await host.retrying(() =>
        host.core.listNamespacedEvent({
          namespace,
          fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
        }),
      );
      return list.items;
    } catch {
      // Events explain, they are no verdict: a cluster that keeps none (or hides them) still gets one.
      return [];
    }
  };
  const logOf = async (pod: string, container: string) => {
    try {
      const text = await host.retrying(() =>
        host.core.readNamespacedPodLog({
          name: pod,
          namespace,
          container,
          previous: true,
          tailLines: LOG_TAIL_LINES,
          limitBytes: LOG_LIMIT_BYTES,
        }),
      );
      return { lines: String(text).split('\n') };
    } catch (err) {
      return { error: host.explain(err, `read the log of ${pod}/${container}`).message };
    }
  };
  const claimOf = async (name: string) => {
    const claim = await host.read({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace } });
    if (!claim) return undefined;
    const phase = (claim.status as { phase?: string } | undefined)?.phase;
    return { phase, events: phase === 'Bound' ? [] : await eventsOf('PersistentVolumeClaim', name) };
  };
  const [podEvents, logs, claims] = await Promise.all([
    Promise.all(needed.podEvents.map(async (pod) => [pod, await eventsOf('Pod', pod)] as const)),
    Promise.all(needed.logs.map(async ([pod, c]) => [`${pod}/${c}`, await logOf(pod, c)] as const)),
    Promise.all(needed.claims.map(async (name) => [name, await claimOf(name)] as const)),
  ]);
  return { podEvents: new Map(podEvents), logs: new Map(logs), claims: new Map(claims) };
}
