// Health of the federation: reads only, shared by the wait after apply and by `mode: check`.
import pLimit from 'p-limit';
import { Cluster } from '../observe/cluster.js';
import { probeThroughToken } from '../observe/member-probe.js';
import { tokenOf } from '../observe/member-token.js';
import { KUBEFED_HEALTH_CHECK_PERIOD_MS } from '../desired/federation-objects.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import type { Spec } from '../inputs/spec.js';
import type { Log } from '../report/log.js';
import { MEMBER_RECORD_KINDS, SnapshotCluster } from '../observe/snapshot.js';
import { pollUntil } from './poll.js';
import { type PartHealth, controlPlaneHealth } from './control-plane.js';
import type { ControlPlaneRead } from '../observe/pods.js';

export interface HealthInputs {
  spec: Spec;
  host: Cluster;
  /** The federation API, once it has an address. */
  federation?: Cluster;
  /** The joined members to check (none when the federation API does not answer). */
  members: string[];
  log: Log;
  /** Wait (up to the timeout) for everything to be healthy, saying what is pending. */
  wait: boolean;
  /** How many members are probed at once. */
  concurrency: number;
  /**
   * Where the action itself reaches a member, by name, when the federation records another
   * address for it (a cluster entry's `endpoint`); otherwise the recorded address is probed.
   */
  probeAt?: Map<string, string>;
  /** Members already probed through the federation's token in this run, for the first look. */
  probed?: Map<string, Promise<string | null>>;
  /** The control plane's Deployments and Pods as this run read them, for the first look. */
  controlPlaneRead?: ControlPlaneRead;
  /** The members' records (KubeFedClusters, Secrets) as this run read them, for the first look. */
  records?: Promise<SnapshotCluster>;
  /** The federation API answered /readyz in this run, for the first look. */
  federationReady?: boolean;
}

export interface FederationHealth {
  controlPlane: string[];
  /** Each part of the control plane and its problems (none before the federation API has an address). */
  parts: PartHealth[];
  /** Member name → its problem, or null when ready. */
  members: Map<string, string | null>;
  /** The members' problems, each naming its member. */
  memberProblems: string[];
}

/** The control plane's problems and each member's, waited for when asked. */
export async function federationHealth({
  spec,
  host,
  federation,
  members,
  log,
  wait,
  concurrency,
  probeAt,
  probed,
  controlPlaneRead,
  records,
  federationReady,
}: HealthInputs): Promise<FederationHealth> {
  for (const [name, address] of probeAt ?? []) {
    if (members.includes(name))
      log.info(
        `cluster "${name}": probed at ${address}, the kubeconfig's address (the federation reaches it at its endpoint)`,
      );
  }
  let ahead = probed;
  let read = controlPlaneRead;
  let recordsRead = records;
  let answered: true | undefined = federationReady || undefined;
  const observe = async (detailed: boolean) => {
    const [controlPlane, memberHealth] = await Promise.all([
      federation ? controlPlaneHealth(host, federation, spec, { detailed, read, ready: answered }) : undefined,
      federation
        ? memberProblems(federation, spec, members, concurrency, probeAt, ahead, recordsRead)
        : new Map<string, string | null>(),
    ]);
    ahead = undefined;
    read = undefined;
    recordsRead = undefined;
    answered = undefined;
    return { controlPlane: controlPlane?.problems ?? [], parts: controlPlane?.parts ?? [], members: memberHealth };
  };
  const list = (h: Pick<FederationHealth, 'controlPlane' | 'members'>) => [
    ...h.controlPlane,
    ...[...h.members].flatMap(([name, p]) => (p ? [`cluster "${name}": ${p}`] : [])),
  ];
  // Details (why a part is not available) cost reads: only for what is said, not for each poll.
  let health = await observe(!wait);
  if (wait && list(health).length) {
    await pollUntil('the federation and its members to be ready', spec.timeoutMs, log, async (detailed) => {
      health = await observe(detailed);
      const pending = list(health);
      return pending.length ? pending.join('; ') : null;
    });
  }
  return { ...health, memberProblems: list({ controlPlane: [], members: health.members }) };
}

/**
 * Whether each joined member is ready as the federation sees it: reached at the endpoint its
 * KubeFedCluster records, with the token the federation holds (a list of namespaces, which the
 * token's rights must allow; its /readyz when that fails), and the KubeFedCluster's Ready condition
 * once a controller reports one. Member name → problem, or null when ready.
 */
export async function memberProblems(
  federation: Cluster,
  spec: Spec,
  names: string[],
  concurrency: number,
  probeAt?: Map<string, string>,
  probed?: Map<string, Promise<string | null>>,
  recordsRead?: Promise<SnapshotCluster>,
): Promise<Map<string, string | null>> {
  const limit = pLimit(concurrency);
  // Every member's KubeFedCluster and Secret in two lists, not two reads per member.
  const records = names.length
    ? await (recordsRead ?? SnapshotCluster.of(federation, spec.namespace, MEMBER_RECORD_KINDS))
    : federation;
  const checked = await Promise.all(
    names.map((name) =>
      limit(
        async () => [name, await memberProblem(records, spec, name, probeAt?.get(name), probed?.get(name))] as const,
      ),
    ),
  );
  return new Map(checked);
}

interface KubeFedClusterFields {
  metadata?: { creationTimestamp?: string | Date };
  spec?: { apiEndpoint?: string; caBundle?: string; disabledTLSValidations?: string[]; secretRef?: { name?: string } };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/**
 * KubeFed's own verdict on a member, from the conditions its cluster health check writes:
 * null when Ready=True. KubeFed writes Offline=True (and no Ready condition) for a member it
 * cannot reach and ConfigMalformed=True for a bad record; a member with no verdict after one
 * health-check period means KubeFed is not checking it.
 */
export function kubeFedVerdict(
  kfc: KubeFedClusterFields,
  now: Date,
  periodMs = KUBEFED_HEALTH_CHECK_PERIOD_MS,
): string | null {
  const conditions = kfc.status?.conditions ?? [];
  const describe = (c: { status: string; reason?: string; message?: string }) =>
    [c.reason, c.message].filter(Boolean).join(': ') || c.status;
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return null;
  for (const type of ['Offline', 'ConfigMalformed']) {
    const c = conditions.find((x) => x.type === type && x.status === 'True');
    if (c) return `KubeFed reports it ${type} (${describe(c)})`;
  }
  if (ready) return `KubeFed reports it not Ready (${describe(ready)})`;
  const created = kfc.metadata?.creationTimestamp ? new Date(kfc.metadata.creationTimestamp).getTime() : now.getTime();
  const silentSeconds = Math.round((now.getTime() - created) / 1000);
  return now.getTime() - created > periodMs
    ? `KubeFed has reported no Ready condition for it in ${silentSeconds}s (is the KubeFed controller manager running?)`
    : 'KubeFed has not checked it yet';
}

async function memberProblem(
  federation: Cluster,
  spec: Spec,
  name: string,
  probeAt?: string,
  probed?: Promise<string | null>,
): Promise<string | null> {
  const kfc = (await federation.read({
    apiVersion: KUBEFED_API,
    kind: 'KubeFedCluster',
    metadata: { name, namespace: spec.namespace },
  })) as KubeFedClusterFields | undefined;
  if (!kfc) return 'not joined (no KubeFedCluster in the federation)';
  const endpoint = probeAt ?? kfc.spec?.apiEndpoint ?? '';
  const secretName = kfc.spec?.secretRef?.name ?? '';
  const secret = await federation.read({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: spec.namespace },
  });
  const { token } = tokenOf(secret);
  if (!token) return `the federation's Secret ${spec.namespace}/${secretName} holds no token`;
  // Both signals: KubeFed's verdict, and the action's own probe through the same token.
  const insecure = kfc.spec?.disabledTLSValidations?.includes('*') ?? false;
  const problems = [
    kubeFedVerdict(kfc, new Date()),
    await (probed ?? probeThroughToken(name, { endpoint, caBundle: kfc.spec?.caBundle, insecure, token })),
  ];
  const found = problems.filter((p): p is string => p !== null);
  return found.length ? found.join('; ') : null;
}
