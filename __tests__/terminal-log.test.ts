// The demo's terminal log: the runner's commands and the job summary's Markdown as a person
// reads them in a terminal (scripts/terminal-log.mjs). Colour is off: the tests' stdout is no
// terminal.
import { describe, expect, test } from '@jest/globals';
import { markdownForTerminal, workflowLogReader } from '../scripts/terminal-log.mjs';

const shown = (log: string[]) => {
  const read = workflowLogReader();
  return log.flatMap(read);
};

describe('the workflow log in a terminal', () => {
  test('a group is a heading over its indented lines, with no :: line left', () => {
    const lines = shown([
      '::add-mask::s3cret',
      'connecting',
      '::group::Control plane',
      'applied x',
      '::endgroup::',
      'done',
    ]);
    expect(lines).toEqual(['connecting', '', '▸ Control plane', '  applied x', 'done']);
  });

  test('warnings and errors are labelled, their escaped new lines kept, their properties dropped', () => {
    expect(shown(['::warning::100%25 of%0Atwo lines', '::error file=a.ts,line=1::bad'])).toEqual([
      'warning: 100% of',
      '  two lines',
      'error: bad',
    ]);
  });

  test('debug lines show only when asked, and the runner-only commands never', () => {
    expect(shown(['::debug::detail', '::save-state name=x::y', '::set-output name=x::y'])).toEqual([]);
    expect(workflowLogReader({ debug: true })('::debug::detail')).toEqual(['detail']);
  });

  test('control characters from cluster text cannot drive the terminal', () => {
    expect(shown(['name \u001b]0;owned\u0007 here', '::warning::\u001b[2J'])).toEqual([
      'name \\x1b]0;owned\\x07 here',
      'warning: \\x1b[2J',
    ]);
  });
});

describe('the job summary in a terminal', () => {
  const summary = [
    '## Federation `fellowship` (apply)',
    '',
    '- Health: ✅ healthy',
    '- Federation API: https://127.0.0.1:6443 &amp; more',
    '',
    '| cluster | endpoint | state |',
    '| --- | --- | --- |',
    // Cluster text as the summary writes it: every punctuation mark backslash-escaped.
    '| rivendell | https\\:\\/\\/127\\.0\\.0\\.1\\:6443 | host |',
    '| gondor | a\\|b &lt;i&gt; | joined |',
    '',
    '```mermaid',
    'flowchart LR',
    '  host["host cluster<br/>rivendell"] --> fed',
    '```',
    '',
    '<details><summary>Changes</summary>',
    '',
    '- create Namespace kube-federation-system on rivendell',
    '',
    '</details>',
    '',
  ].join('\n');

  test('reads as text: heading underlined, table aligned, entities decoded, no Markdown or HTML left', () => {
    expect(markdownForTerminal(summary).split('\n')).toEqual([
      'Federation fellowship (apply)',
      '═════════════════════════════',
      '',
      '- Health: ✅ healthy',
      '- Federation API: https://127.0.0.1:6443 & more',
      '',
      'cluster    endpoint                state',
      '─────────  ──────────────────────  ──────',
      'rivendell  https://127.0.0.1:6443  host',
      'gondor     a|b <i>                 joined',
      '',
      '(a diagram of the federation, drawn in the job summary)',
      '',
      'Changes:',
      '',
      '- create Namespace kube-federation-system on rivendell',
    ]);
  });
});
