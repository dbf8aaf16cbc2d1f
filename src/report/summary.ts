// The job summary, as a pure function of a run's result: text read from a cluster is escaped.
import type { Spec } from '../inputs/spec.js';
import { objectRef, targetName } from '../desired/objects.js';
import type { RunResult } from './result.js';
import { deliveryTable } from './propagation.js';

/**
 * Text for a Markdown line or table cell: the job summary renders Markdown and HTML, and text
 * read from a cluster must show as text, never as a link, an image, an autolink or markup.
 * CommonMark takes any ASCII punctuation after a backslash as that character, literally: so
 * every one is escaped (`[`, `]`, `(`, `!`, `<`, `&`, `|`, `:` of a URL, `.` of `www.`, `@` of an
 * address...), and a line break becomes a space (a cell is one line).
 */
export const escapeCell = (text: string) => text.replace(/[\r\n]+/g, ' ').replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);

/**
 * Text for a quoted Mermaid label: HTML escaped, no double quote (it would end the label) and
 * no backtick (a label in backticks is Markdown).
 */
const LABEL_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '#quot;', '`': '#96;' };
const escapeLabel = (text: string) => text.replace(/[\r\n]+/g, ' ').replace(/[&<>"`]/g, (c) => LABEL_ENTITIES[c] ?? c);

/** Markdown for the job summary: what changed, the clusters, and a diagram of the federation. */
export function summaryMarkdown(spec: Spec, result: RunResult): string {
  const verb = spec.mode === 'plan' || spec.mode === 'check' ? 'would change' : 'changed';
  // "Everything matched" only when the run compared everything: an error may have stopped it first.
  const changeCount =
    result.steps.length > 0
      ? `${result.steps.length} object(s) ${verb}.`
      : result.errors.length > 0
        ? `Nothing ${verb}; not everything could be compared (see the errors below).`
        : `Nothing ${verb}: everything already matched.`;
  const hostNode = `host["host cluster<br/>${escapeLabel(spec.hostContext)}"]`;
  const federationNode = `fed(["federation API<br/>${escapeLabel(result.federationEndpoint ?? 'pending')}"])`;
  const lines = [
    `## Federation \`${spec.federationName}\` (${spec.mode})`,
    '',
    `- Health: ${result.healthy ? '✅ healthy' : '❌ unhealthy'}`,
    `- Federation API: ${escapeCell(result.federationEndpoint ?? 'no address yet')}`,
    `- ${changeCount}`,
    ...result.errors.map((e) => `  - ❌ ${escapeCell(e)}`),
    ...result.problems.map((p) => `  - ⚠️ ${escapeCell(p)}`),
    ...result.warnings.map((w) => `  - ℹ️ ${escapeCell(w)}`),
    '',
    '| cluster | endpoint | state | changes |',
    '| --- | --- | --- | --- |',
    ...result.clusters.map((c) => {
      const endpoint = `${escapeCell(c.endpoint ?? '')}${c.tlsUnverified ? ' ⚠️ TLS not verified' : ''}`;
      return `| ${escapeCell(c.name)} | ${endpoint} | ${escapeCell(c.state)} | ${escapeCell(c.changes)} |`;
    }),
    ...partRows(result),
    ...deliveryTable(result.delivery ?? [], escapeCell),
    '',
    '```mermaid',
    'flowchart LR',
    `  ${hostNode} --> ${federationNode}`,
    ...result.clusters
      .filter((c) => c.role === 'member')
      .map((c, i) => `  fed --> m${i}["${escapeLabel(c.name)}<br/>${escapeLabel(c.state)}"]`),
    '```',
  ];
  if (result.steps.length) {
    lines.push(
      '',
      '<details><summary>Changes</summary>',
      '',
      ...result.steps.map((s) => `- ${escapeCell(`${s.action} ${objectRef(s.object)} on ${targetName(s.target)}`)}`),
      '',
      '</details>',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The control plane's parts on the host, when their health was checked (why not: the problems above). */
function partRows(result: RunResult): string[] {
  if (!result.controlPlane.length) return [];
  return [
    '',
    '| control plane | deployments | state |',
    '| --- | --- | --- |',
    ...result.controlPlane.map(
      (p) =>
        `| ${p.part} | ${escapeCell(p.deployments.join(', '))} | ` +
        `${p.state === 'available' ? '✅' : '❌'} ${p.state} |`,
    ),
  ];
}
