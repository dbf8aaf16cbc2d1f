// The tree reads as the flow of a run (DESIGN.md "Layout"): every module sits in the folder of
// its phase, imports never go round in a circle, files stay small and lines short, and only the
// entry points know the runner, the process and its exit code.
import { describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');
const FOLDERS = ['entrypoints', 'inputs', 'desired', 'observe', 'plan', 'apply', 'wait', 'phases', 'report'];
const MAX_LINES = 300;
const MAX_WIDTH = 120;

const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(SRC, f));
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const name = (file: string) => relative(SRC, file);

/** The project modules a module imports (types included: a circle of types is still a circle). */
function importsOf(file: string): string[] {
  const specifiers = [...(text.get(file) ?? '').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)];
  return specifiers.map((m) => resolve(dirname(file), m[1]).replace(/\.js$/, '.ts'));
}

/** Every circle of imports, each as the modules on it. */
function circles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      found.push([...path.slice(path.indexOf(file)), file].map(name));
      return;
    }
    state.set(file, 'visiting');
    for (const next of importsOf(file)) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  files.forEach((f) => visit(f, []));
  return found;
}

describe('the source layout', () => {
  test('every module is in the folder of its phase', () => {
    const misplaced = files.map(name).filter((f) => !FOLDERS.includes(f.split('/')[0]) || f.split('/').length !== 2);
    expect(misplaced).toEqual([]);
    for (const folder of FOLDERS) expect(files.some((f) => name(f).startsWith(`${folder}/`))).toBe(true);
  });

  test('no import circles', () => {
    expect(circles()).toEqual([]);
  });

  test(`no file over ${MAX_LINES} lines, no line over ${MAX_WIDTH} characters`, () => {
    const long = files.filter((f) => (text.get(f) ?? '').trimEnd().split('\n').length > MAX_LINES).map(name);
    const wide = files.flatMap((f) =>
      (text.get(f) ?? '').split('\n').flatMap((line, i) => (line.length > MAX_WIDTH ? [`${name(f)}:${i + 1}`] : [])),
    );
    expect({ long, wide }).toEqual({ long: [], wide: [] });
  });

  test('only the entry points know the runner, the process arguments and exit codes', () => {
    const outside = files.filter((f) => !name(f).startsWith('entrypoints/'));
    const knowing = outside
      .filter((f) => /from '@actions\/core'|process\.(argv|exit)/.test(text.get(f) ?? ''))
      .map(name);
    expect(knowing).toEqual([]);
  });

  test('only apply/ writes to a cluster', () => {
    // The client's writes: the object API's create/patch/replace/delete, and the custom objects API's.
    const write = /\.(api\.(create|patch|replace|delete)|(create|patch|replace|delete)\w*(Namespaced|Cluster)\w*)\(/;
    const writers = files.filter((f) => !name(f).startsWith('apply/') && write.test(text.get(f) ?? '')).map(name);
    expect(writers).toEqual([]);
    expect(files.filter((f) => name(f).startsWith('apply/') && write.test(text.get(f) ?? '')).length).toBeGreaterThan(
      0,
    );
  });

  test('pure folders do no I/O: desired, plan and report import no client, file system or network', () => {
    const pure = files.filter((f) => /^(desired|plan|report)\//.test(name(f)));
    // Files, sockets and processes, by any of their names; of node:net only its pure address checks.
    const io =
      /from '(@kubernetes\/client-node|(node:)?(fs|http|https|http2|child_process|dgram)(\/\w+)?)'|import '(node:)?fs/;
    const sockets = (code: string) =>
      [...code.matchAll(/import \{([^}]*)\} from '(?:node:)?net'/g)].some((m) =>
        m[1].split(',').some((n) => !['isIP', 'isIPv4', 'isIPv6'].includes(n.trim())),
      );
    const impure = pure
      .filter((f) => {
        const code = (text.get(f) ?? '').replace(/import type [^;]+;/g, '');
        return io.test(code) || sockets(code);
      })
      .map(name);
    expect(impure).toEqual([]);
  });

  test('the circle finder finds a circle', () => {
    // The check above can fail: a module that imports its importer is a circle.
    const a = join(SRC, 'phases', 'run.ts');
    const b = join(SRC, 'phases', 'scope.ts');
    const saved = text.get(b) ?? '';
    text.set(b, `${saved}\nimport { run } from './run.js';\n`);
    try {
      expect(circles().some((c) => c.includes(name(a)) && c.includes(name(b)))).toBe(true);
    } finally {
      text.set(b, saved);
    }
  });
});
