// The README's inputs and outputs tables, generated from action.yml, so the two never drift:
// `npm run docs` rewrites them between their marker comments; a unit test fails when the
// README is not what this would write.
import { readFileSync, writeFileSync } from 'node:fs';
import * as yaml from 'js-yaml';

const MARKERS = {
  inputs: ['<!-- inputs: generated from action.yml by npm run docs -->', '<!-- inputs end -->'],
  outputs: ['<!-- outputs: generated from action.yml by npm run docs -->', '<!-- outputs end -->'],
};

const cell = (text) =>
  String(text ?? '')
    .replaceAll('|', '\\|')
    .replaceAll('\n', ' ')
    .trim();

/** The two tables, from action.yml's text. */
export function tables(actionYml) {
  const action = yaml.load(actionYml);
  const inputs = Object.entries(action.inputs).map(([name, i]) => {
    const value = i.required ? 'required' : i.default === undefined || i.default === '' ? '' : `\`${cell(i.default)}\``;
    return `| \`${name}\` | ${value} | ${cell(i.description)} |`;
  });
  const outputs = Object.entries(action.outputs).map(([name, o]) => `| \`${name}\` | ${cell(o.description)} |`);
  return {
    inputs: ['| input | default | description |', '| --- | --- | --- |', ...inputs].join('\n'),
    outputs: ['| output | description |', '| --- | --- |', ...outputs].join('\n'),
  };
}

/** The README with both tables replaced between their markers. */
export function withTables(readme, actionYml) {
  const generated = tables(actionYml);
  let out = readme;
  for (const [name, [begin, end]] of Object.entries(MARKERS)) {
    const from = out.indexOf(begin);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md has no ${begin} … ${end} section`);
    out = `${out.slice(0, from + begin.length)}\n${generated[name]}\n${out.slice(to)}`;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync('README.md', withTables(readFileSync('README.md', 'utf8'), readFileSync('action.yml', 'utf8')));
}
