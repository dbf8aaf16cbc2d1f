// Step outputs and the job summary, as pure functions of a run's result.
import type { Spec } from './inputs.js';
import { objectRef, targetName } from './objects.js';
import type { Step } from './plan.js';
import type { RunResult } from './result.js';

export interface PlannedChange {
  action: Step['action'];
  cluster: string;
  kind: string;
  namespace?: string;
  name: string;
  reason?: string;
}

export function plannedChanges(steps: Step[]): PlannedChange[] {
  return steps.map((s) => ({
    action: s.action,
    cluster: targetName(s.target),
    kind: s.object.kind,
    ...(s.object.metadata.namespace ? { namespace: s.object.metadata.namespace } : {}),
    name: s.object.metadata.name,
    ...(s.reason ? { reason: s.reason } : {}),
  }));
}

/** The action's outputs (all strings, as the runner takes them). */
export function outputs(result: RunResult, kubeconfigPath: string | undefined): Record<string, string> {
  return {
    'joined-clusters': JSON.stringify(result.joined),
    'unjoined-clusters': JSON.stringify(result.unjoined),
    'federation-endpoint': result.federationEndpoint ?? '',
    'cluster-endpoints': JSON.stringify(result.clusterEndpoints),
    'federation-context': result.federationContext,
    kubeconfig: kubeconfigPath ?? '',
    healthy: String(result.healthy),
    changed: String(result.changed),
    plan: JSON.stringify(plannedChanges(result.steps)),
  };
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown for the job summary: what changed, the clusters, and a diagram of the federation. */
export function summaryMarkdown(spec: Spec, result: RunResult): string {
  const verb = spec.mode === 'plan' ? 'would change' : 'changed';
  const lines = [
    `## Federation \`${spec.federationName}\` (${spec.mode})`,
    '',
    `- Health: ${result.healthy ? '✅ healthy' : '❌ unhealthy'}`,
    `- Federation API: ${result.federationEndpoint ?? 'no address yet'}`,
    `- ${result.steps.length === 0 ? `Nothing ${verb}: everything already matched.` : `${result.steps.length} object(s) ${verb}.`}`,
    ...result.errors.map((e) => `  - ❌ ${escapeCell(e)}`),
    ...result.problems.map((p) => `  - ⚠️ ${escapeCell(p)}`),
    ...result.warnings.map((w) => `  - ℹ️ ${escapeCell(w)}`),
    '',
    '| cluster | endpoint | state | changes |',
    '| --- | --- | --- | --- |',
    ...result.clusters.map(
      (c) => `| ${escapeCell(c.name)} | ${escapeCell(c.endpoint ?? '')} | ${escapeCell(c.state)} | ${escapeCell(c.changes)} |`,
    ),
    '',
    '```mermaid',
    'flowchart LR',
    `  host["host cluster<br/>${spec.hostContext}"] --> fed(["federation API<br/>${result.federationEndpoint ?? 'pending'}"])`,
    ...result.clusters
      .filter((c) => c.role === 'member')
      .map((c, i) => `  fed --> m${i}["${c.name}<br/>${c.state}"]`),
    '```',
  ];
  if (result.steps.length) {
    lines.push('', '<details><summary>Changes</summary>', '', ...result.steps.map((s) => `- ${s.action} ${objectRef(s.object)} on ${targetName(s.target)}`), '', '</details>');
  }
  return `${lines.join('\n')}\n`;
}

