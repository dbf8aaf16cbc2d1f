// A GitHub workflow log and job summary as a terminal shows them, for the demo: the runner's
// commands (`::group::`, `::warning::`, `::add-mask::` ...) become headings, labelled lines or
// nothing; the summary's Markdown becomes aligned text. Pure functions; colour through Node's
// styleText, which leaves it out where the stream is no terminal or NO_COLOR is set.
import { styleText } from 'node:util';

const style = (format, text) => styleText(format, text, { stream: process.stdout });

/** Control characters (from cluster text) shown as escapes, so they cannot drive the terminal. */
const visible = (text) =>
  text.replace(
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );

/** A command's message as @actions/core escaped it (toCommandValue: %, CR, LF). */
const unescapeData = (text) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');

const LABELS = { warning: ['yellow', 'warning'], error: ['red', 'error'], notice: ['cyan', 'notice'] };

/**
 * A line-by-line translator of the runner's log: feed it each line as it comes; it returns the
 * terminal's lines for it (none for a mask, a debug line or a group's end). Lines inside a group
 * are indented under its heading.
 */
export function workflowLogReader({ debug = false } = {}) {
  let inGroup = false;
  const indent = (text) => (inGroup ? `  ${text}` : text);
  return (line) => {
    const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
    if (!command) return [indent(visible(line))];
    const [, name, data] = command;
    const message = visible(unescapeData(data));
    if (name === 'group') {
      inGroup = true;
      return ['', style('bold', `▸ ${message}`)];
    }
    if (name === 'endgroup') {
      inGroup = false;
      return [];
    }
    if (name in LABELS) {
      const [colour, label] = LABELS[name];
      const [first, ...rest] = message.split(/\r?\n/);
      return [indent(`${style(colour, `${label}:`)} ${first}`), ...rest.map((l) => indent(`  ${l}`))];
    }
    if (name === 'debug') return debug ? [indent(style('dim', message))] : [];
    // add-mask, save-state, set-output, stop-commands...: the runner's, not the reader's.
    return [];
  };
}

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
/** Inline Markdown and HTML as plain text: no backticks, escapes, tags or entities. */
const inline = (text) =>
  visible(
    text
      .replace(/<br\s*\/?>/g, ' ')
      .replace(/`([^`]*)`/g, '$1')
      // Backslash escapes of ASCII punctuation (the summary escapes all of it in cluster text).
      .replace(/\\([!-/:-@[-`{-~])/g, '$1')
      .replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]),
  );

const cells = (row) =>
  row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => inline(cell.trim().replaceAll('\\|', '|')));

/** A Markdown table's rows as aligned columns, its header underlined. */
function table(rows) {
  const [header, , ...body] = rows.map(cells);
  const width = header.map((_, i) => Math.max(...[header, ...body].map((r) => [...(r[i] ?? '')].length)));
  const line = (r) =>
    r
      .map((c, i) => c + ' '.repeat(width[i] - [...c].length))
      .join('  ')
      .trimEnd();
  return [style('bold', line(header)), width.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
}

/**
 * The job summary's Markdown as terminal text: headings underlined, tables aligned, a
 * <details> block under its <summary> title, and no Mermaid source (GitHub draws it).
 */
export function markdownForTerminal(markdown) {
  const out = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heading = /^#{1,6} (.*)$/.exec(line);
    const fence = /^```(\w*)/.exec(line);
    const details = /^<details><summary>(.*)<\/summary>$/.exec(line);
    if (heading) {
      const title = inline(heading[1]);
      out.push(style('bold', title), '═'.repeat([...title].length));
    } else if (fence) {
      const block = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) block.push(lines[i]);
      if (fence[1] === 'mermaid') out.push(style('dim', '(a diagram of the federation, drawn in the job summary)'));
      else out.push(...block.map((l) => `    ${visible(l)}`));
    } else if (line.startsWith('|')) {
      const rows = [];
      for (; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i]);
      i--;
      out.push(...table(rows));
    } else if (details) out.push(style('bold', `${inline(details[1])}:`));
    else if (line !== '</details>') out.push(inline(line));
  }
  // One blank line at most between blocks, none at the end.
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd();
}
