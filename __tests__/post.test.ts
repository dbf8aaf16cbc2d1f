// The post step removes the kubeconfig directory its main step made, and nothing else, whatever
// the step's state names (anything in the job can write state). Runs the built dist/post.js.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePrivateFile } from '../src/entrypoints/tempfiles.js';

function post(runnerTemp: string, state: Record<string, string>): string {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', RUNNER_TEMP: runnerTemp };
  for (const [k, v] of Object.entries(state)) env[`STATE_${k}`] = v;
  const run = spawnSync(process.execPath, ['dist/post.js'], { env, encoding: 'utf8' });
  return `${run.stdout}${run.stderr}`;
}

describe('post step', () => {
  test('removes the directory the main step made', () => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'));
    const file = writePrivateFile(runnerTemp, 'kubeconfig', 'secret');
    expect(post(runnerTemp, { kubeconfig: file.path, 'kubeconfig-nonce': file.nonce })).toContain(
      'removed the federation kubeconfig',
    );
    expect(existsSync(file.path)).toBe(false);
  });

  test.each([
    [
      'a directory outside RUNNER_TEMP',
      (_temp: string, victim: string) => ({ kubeconfig: join(victim, 'kubeconfig'), 'kubeconfig-nonce': 'x' }),
      'is not a directory the main step made',
    ],
    [
      'RUNNER_TEMP itself',
      (temp: string) => ({ kubeconfig: join(temp, 'kubeconfig'), 'kubeconfig-nonce': 'x' }),
      'is not a directory the main step made',
    ],
    [
      'a look-alike directory without the nonce',
      (temp: string) => {
        mkdirSync(join(temp, 'kubefed-lookalike'));
        return { kubeconfig: join(temp, 'kubefed-lookalike', 'kubeconfig'), 'kubeconfig-nonce': 'guess' };
      },
      'is not the directory the main step recorded',
    ],
  ])('refuses %s', (_what, state, why) => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'));
    const victim = mkdtempSync(join(tmpdir(), 'victim-'));
    writeFileSync(join(victim, 'precious'), 'data');
    const named = state(runnerTemp, victim);
    expect(post(runnerTemp, named)).toContain(why);
    expect(existsSync(join(victim, 'precious'))).toBe(true);
    expect(existsSync(runnerTemp)).toBe(true);
    if (named.kubeconfig.includes('lookalike')) expect(existsSync(join(runnerTemp, 'kubefed-lookalike'))).toBe(true);
  });
});
