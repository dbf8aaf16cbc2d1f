// Health of the federation: reads only, shared by the wait after apply and by `mode: check`.
import type { Cluster } from './cluster.js';
import { hostNames } from './controlplane.js';
import type { Spec } from './inputs.js';
import type { Log } from './log.js';

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

/**
 * Polls `probe` (which returns what is still pending, or null when done) until done or the
 * timeout, logging what is pending and the time left every ten seconds.
 */
export async function waitFor(what: string, timeoutMs: number, log: Log, probe: () => Promise<string | null>): Promise<void> {
  const start = Date.now();
  let lastReport = start;
  for (;;) {
    const pending = await probe();
    if (pending === null) return;
    const now = Date.now();
    if (now - start >= timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}: ${pending}`);
    if (now - lastReport >= PROGRESS_EVERY_MS) {
      log.info(`waiting for ${what}: ${pending} (${Math.round((timeoutMs - (now - start)) / 1000)}s left)`);
      lastReport = now;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, timeoutMs / 20)));
  }
}
