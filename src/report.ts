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

/**
 * Text for a Markdown line or table cell: the job summary renders HTML, and text read from a
 * cluster must show as text, never as a link, an image or markup.
 */
export const escapeCell = (text: string) =>
  text.replace(/[&<>|\n]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '|': '\\|', '\n': ' ' })[c] ?? c);

/** Text for a quoted Mermaid label, which a double quote would end. */
const escapeLabel = (text: string) => escapeCell(text).replaceAll('"', '#quot;');

/** Markdown for the job summary: what changed, the clusters, and a diagram of the federation. */
export function summaryMarkdown(spec: Spec, result: RunResult): string {
  const verb = spec.mode === 'plan' || spec.mode === 'check' ? 'would change' : 'changed';
  const lines = [
    `## Federation \`${spec.federationName}\` (${spec.mode})`,
    '',
    `- Health: ${result.healthy ? '✅ healthy' : '❌ unhealthy'}`,
    `- Federation API: ${escapeCell(result.federationEndpoint ?? 'no address yet')}`,
    `- ${result.steps.length === 0 ? `Nothing ${verb}: everything already matched.` : `${result.steps.length} object(s) ${verb}.`}`,
    ...result.errors.map((e) => `  - ❌ ${escapeCell(e)}`),
    ...result.problems.map((p) => `  - ⚠️ ${escapeCell(p)}`),
    ...result.warnings.map((w) => `  - ℹ️ ${escapeCell(w)}`),
    '',
    '| cluster | endpoint | state | changes |',
    '| --- | --- | --- | --- |',
    ...result.clusters.map(
      (c) => `| ${escapeCell(c.name)} | ${escapeCell(c.endpoint ?? '')}${c.tlsUnverified ? ' ⚠️ TLS not verified' : ''} | ${escapeCell(c.state)} | ${escapeCell(c.changes)} |`,
    ),
    '',
    '```mermaid',
    'flowchart LR',
    `  host["host cluster<br/>${escapeLabel(spec.hostContext)}"] --> fed(["federation API<br/>${escapeLabel(result.federationEndpoint ?? 'pending')}"])`,
    ...result.clusters
      .filter((c) => c.role === 'member')
      .map((c, i) => `  fed --> m${i}["${escapeLabel(c.name)}<br/>${escapeLabel(c.state)}"]`),
    '```',
  ];
  if (result.steps.length) {
    lines.push('', '<details><summary>Changes</summary>', '', ...result.steps.map((s) => `- ${escapeCell(`${s.action} ${objectRef(s.object)} on ${targetName(s.target)}`)}`), '', '</details>');
  }
  return `${lines.join('\n')}\n`;
}


export interface Verdict {
  failed: boolean;
  /** One line for the end of the log (and the step's failure message). */
  message: string;
}

/**
 * Whether the step fails: on any error in every mode; on ill health in check mode, and after
 * an apply that waited (with `wait: false`, ill health is only reported).
 */
export function verdict(spec: Spec, result: RunResult): Verdict {
  const name = `federation ${spec.federationName}`;
  if (result.errors.length) return { failed: true, message: `${name} failed: ${result.errors.join('; ')}` };
  const gates = spec.mode === 'check' || (spec.mode === 'apply' && spec.wait);
  if (!result.healthy && gates) return { failed: true, message: `${name} is not healthy: ${result.problems.join('; ')}` };
  if (spec.mode === 'plan') return { failed: false, message: `plan: ${result.steps.length} change(s)` };
  if (spec.mode === 'destroy') return { failed: false, message: result.changed ? `${name} destroyed` : `${name}: nothing left to destroy` };
  if (spec.mode === 'check') return { failed: false, message: `${name} is healthy${result.steps.length ? ` (${result.steps.length} object(s) differ from the inputs; run apply to converge)` : ''}` };
  const health = result.healthy ? '' : ` (not healthy yet, not waited for: ${result.problems.join('; ')})`;
  return { failed: false, message: `${result.changed ? `${name} converged` : `${name}: nothing to change`}${health}` };
}
