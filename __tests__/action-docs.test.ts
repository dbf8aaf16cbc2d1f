// The README's inputs and outputs tables are action.yml's (npm run docs writes them).
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { tables, withTables } from '../scripts/action-docs.mjs';

describe('the README tables', () => {
  test('are what action.yml says (run npm run docs after changing an input or output)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(withTables(readme, readFileSync('action.yml', 'utf8')));
  });

  test('name every input with its default, or required, and every output', () => {
    const { inputs, outputs } = tables(
      'inputs:\n  a:\n    description: "x | y"\n    required: true\n  b:\n    description: z\n    default: "1"\noutputs:\n  c:\n    description: w\n',
    );
    expect(inputs.split('\n').slice(2)).toEqual(['| `a` | required | x \\| y |', '| `b` | `1` | z |']);
    expect(outputs.split('\n').slice(2)).toEqual(['| `c` | w |']);
  });
});
