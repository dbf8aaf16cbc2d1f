// Health of the federation: reads only, shared by the wait after apply and by `mode: check`.
import { KubeConfig } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { Cluster } from './cluster.js';
import { hostNames } from './controlplane.js';
import { KUBEFED_GROUP, KUBEFED_VERSION } from './federation.js';
import type { Spec } from './inputs.js';
import type { Log } from './log.js';
import { fromBase64 } from './objects.js';

const PROGRESS_EVERY_MS = 10_000;

/** What is not yet healthy in the control plane; empty when all is well. */
export async function controlPlaneProblems(host: Cluster, federation: Cluster, spec: Spec): Promise<string[]> {
  const n = hostNames(spec.federationName);
  const problems: string[] = [];
  for (const name of [n.apiServer, n.controllerManager]) {
    const problem = await deploymentProblem(host, spec.namespace, name);
    if (problem) problems.push(problem);
  }
  if (!(await federation.ready())) problems.push(`federation API ${federation.server}: /readyz is not ok`);
  return problems;
}

async function deploymentProblem(host: Cluster, namespace: string, name: string): Promise<string | null> {
  const d = await host.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace } });
  if (!d) return `deployment ${namespace}/${name} does not exist`;
  const status = (d.status ?? {}) as { observedGeneration?: number; conditions?: { type: string; status: string }[] };
  const generation = (d.metadata as { generation?: number }).generation;
  if ((status.observedGeneration ?? 0) < (generation ?? 0)) return `deployment ${namespace}/${name} is rolling out`;
  if (!status.conditions?.some((c) => c.type === 'Available' && c.status === 'True')) return `deployment ${namespace}/${name} is not available`;
  return null;
}

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
}

export interface FederationHealth {
  controlPlane: string[];
  /** Member name → its problem, or null when ready. */
  members: Map<string, string | null>;
  /** The members' problems, each naming its member. */
  memberProblems: string[];
}

/** The control plane's problems and each member's, waited for when asked. */
export async function federationHealth({ spec, host, federation, members, log, wait, concurrency }: HealthInputs): Promise<FederationHealth> {
  const observe = async () => ({
    controlPlane: federation ? await controlPlaneProblems(host, federation, spec) : [],
    members: federation ? await memberProblems(federation, spec, members, concurrency) : new Map<string, string | null>(),
  });
  const list = (h: Awaited<ReturnType<typeof observe>>) => [...h.controlPlane, ...[...h.members].flatMap(([name, p]) => (p ? [`cluster "${name}": ${p}`] : []))];
  let health = await observe();
  if (wait && list(health).length) {
    await pollUntil('the federation and its members to be ready', spec.timeoutMs, log, async () => {
      health = await observe();
      const pending = list(health);
      return pending.length ? pending.join('; ') : null;
    });
  }
  return { ...health, memberProblems: list({ controlPlane: [], members: health.members }) };
}

/**
 * Whether each joined member is ready as the federation sees it: reached at the endpoint its
 * KubeFedCluster records, with the token the federation holds (its /readyz, and a list of
 * namespaces, which the token's rights must allow), and the KubeFedCluster's Ready condition
 * once a controller reports one. Member name → problem, or null when ready.
 */
export async function memberProblems(federation: Cluster, spec: Spec, names: string[], concurrency: number): Promise<Map<string, string | null>> {
  const limit = pLimit(concurrency);
  const checked = await Promise.all(names.map((name) => limit(async () => [name, await memberProblem(federation, spec, name)] as const)));
  return new Map(checked);
}

interface KubeFedClusterFields {
  spec?: { apiEndpoint?: string; caBundle?: string; disabledTLSValidations?: string[]; secretRef?: { name?: string } };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

async function memberProblem(federation: Cluster, spec: Spec, name: string): Promise<string | null> {
  const kfc = (await federation.read({ apiVersion: `${KUBEFED_GROUP}/${KUBEFED_VERSION}`, kind: 'KubeFedCluster', metadata: { name, namespace: spec.namespace } })) as KubeFedClusterFields | undefined;
  if (!kfc) return 'not joined (no KubeFedCluster in the federation)';
  const endpoint = kfc.spec?.apiEndpoint ?? '';
  const secretName = kfc.spec?.secretRef?.name ?? '';
  const secret = await federation.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: spec.namespace } });
  const token = fromBase64((secret?.data as Record<string, string> | undefined)?.token) ?? '';
  if (!token) return `the federation's Secret ${spec.namespace}/${secretName} holds no token`;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name, server: endpoint, caData: kfc.spec?.caBundle, skipTLSVerify: kfc.spec?.disabledTLSValidations?.includes('*') ?? false }],
    users: [{ name: 'federation', token }],
    contexts: [{ name, cluster: name, user: 'federation' }],
    currentContext: name,
  });
  const asFederation = new Cluster({ kind: 'member', cluster: name }, `cluster "${name}" through the federation's token`, config);
  if (!(await asFederation.ready())) return `${endpoint}/readyz is not ok through the federation's token`;
  try {
    await asFederation.ensureReachable();
  } catch (err) {
    return (err as Error).message;
  }
  const ready = kfc.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') return `KubeFedCluster is not Ready (${[ready.reason, ready.message].filter(Boolean).join(': ') || ready.status})`;
  return null;
}

/**
 * Polls `probe` (which returns what is still pending, or null when done) until done or the
 * timeout, logging what is pending and the time left every ten seconds. Returns what was still
 * pending at the timeout, or null.
 */
export async function pollUntil(what: string, timeoutMs: number, log: Log, probe: () => Promise<string | null>): Promise<string | null> {
  const start = Date.now();
  let lastReport = start;
  for (;;) {
    const pending = await probe();
    if (pending === null) return null;
    const now = Date.now();
    if (now - start >= timeoutMs) return pending;
    if (now - lastReport >= PROGRESS_EVERY_MS) {
      log.info(`waiting for ${what}: ${pending} (${Math.round((timeoutMs - (now - start)) / 1000)}s left)`);
      lastReport = now;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, timeoutMs / 20)));
  }
}

/** Like pollUntil, but a timeout is an error naming what was still pending. */
export async function waitFor(what: string, timeoutMs: number, log: Log, probe: () => Promise<string | null>): Promise<void> {
  const pending = await pollUntil(what, timeoutMs, log, probe);
  if (pending !== null) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}: ${pending}`);
}
