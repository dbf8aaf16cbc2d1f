// What scripts/build.mjs makes of the bundles: the official client's generated API classes the
// action does not call are left out (ncc's own minifier only renames, and kept all of them),
// and the source is ASCII, since Node gives V8 a module's source at two bytes a character once
// one character is not, and V8 holds it as long as the module lives. What the escapes stand for
// still prints as written: the job summary's ✅ and ❌ are asserted by health.e2e and
// diagnosis.e2e. And the entry points that talk to clusters keep V8's young generation small
// (src/entrypoints/young-generation.ts).
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

const bundles = readdirSync('dist').filter((f) => f.endsWith('.js'));
const source = (bundle: string) => readFileSync(`dist/${bundle}`, 'utf8');

describe('dist/', () => {
  test('holds the bundles action.yml and package.json name', () => {
    expect(bundles).toEqual(expect.arrayContaining(['index.js', 'post.js', 'cli.js', 'cli-main.js']));
  });

  test.each(bundles)('%s is ASCII', (bundle) => {
    const code = source(bundle);
    const at = code.search(/[\u0080-\uffff]/);
    expect(at < 0 ? null : JSON.stringify(code.slice(at - 40, at + 10))).toBeNull();
  });

  test.each(['index.js', 'cli-main.js'])('%s holds the client API groups it calls, and no other', (bundle) => {
    const code = source(bundle);
    // CoreV1Api is called (Secrets, ConfigMaps, ...); the apps group's API never is (the
    // action's Deployments go through the generic KubernetesObjectApi).
    expect(code).toContain('CoreV1ApiRequestFactory');
    expect(code).not.toContain('AppsV1ApiRequestFactory');
  });
});

/**
 * The largest V8's young generation grows in a node that loads `bundle` (or nothing) and then,
 * as it exits, makes objects of which many survive: what makes V8 grow it.
 */
function youngGenerationPeak(bundle?: string): number {
  const probe = `
    import { getHeapSpaceStatistics } from 'node:v8';
    process.on('exit', () => {
      const kept = [];
      let peak = 0;
      for (let round = 0; round < 100; round++) {
        kept.push(Array.from({ length: 20000 }, (_, i) => ({ i, s: 'x' + i })));
        if (kept.length > 20) kept.shift();
        const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
        peak = Math.max(peak, young.space_size);
      }
      process.stderr.write('YOUNG ' + peak + '\\n');
    });
    ${bundle ? `await import(${JSON.stringify(resolve('dist', bundle))});` : ''}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  const found = /YOUNG (\d+)/.exec(run.stderr);
  if (!found) throw new Error(`no figure from the probe:\n${run.stderr}`);
  return Number(found[1]) / 2 ** 20;
}

// With the growth factor at 1, V8 13.6 still adds pages now and then (not by doubling): 3.5 to
// 20.75 MiB over 40 probes of each bundle here, idle and with both cores busy. Left to itself
// it reaches its maximum, 128 MiB, every time. The bounds sit well apart from both.
describe('the entry points keep the young generation small', () => {
  test('V8 left to itself grows it past 64 MiB (what the test below would see without the flag)', () => {
    expect(youngGenerationPeak()).toBeGreaterThan(64);
  });

  test.each(['index.js', 'cli.js'])('%s: under 40 MiB', (bundle) => {
    expect(youngGenerationPeak(bundle)).toBeLessThan(40);
  });
});
