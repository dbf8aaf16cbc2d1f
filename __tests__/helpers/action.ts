// Runs the built action (dist/index.js, then dist/post.js) as a runner would: inputs as
// INPUT_<NAME> variables, outputs, state and summary through the runner's files.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ActionRun {
  status: number | null;
  /** Everything the step printed (stdout and stderr). */
  log: string;
  /** What a reader of the workflow log sees: the log without the runner's mask commands. */
  shown: string;
  outputs: Record<string, string>;
  summary: string;
  runnerTemp: string;
  post: () => string;
}

/** Parses the runner's file-command format (name<<delimiter ... delimiter). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
    out[m[1]] = value.join('\n');
  }
  return out;
}

export interface StartedAction {
  child: ChildProcess;
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null; log: string; outputs: Record<string, string> }>;
}

/** Starts the action in a process of its own, so runs can overlap and a test can kill one. */
export function startAction(inputs: Record<string, string>): StartedAction {
  const dir = mkdtempSync(join(tmpdir(), 'kubefed-runner-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STATE: 'state', GITHUB_STEP_SUMMARY: 'summary' };
  for (const name of Object.values(files)) writeFileSync(join(dir, name), '');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', RUNNER_TEMP: dir, ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, join(dir, f)])) };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(process.execPath, ['dist/index.js'], { env });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const done = new Promise<Awaited<StartedAction['done']>>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal, log, outputs: parseFileCommands(readFileSync(join(dir, 'output'), 'utf8')) })),
  );
  return { child, done };
}

/** Runs the action in a process of its own and resolves when it ends, so runs can overlap. */
export function runActionAsync(inputs: Record<string, string>) {
  return startAction(inputs).done;
}

export function runAction(inputs: Record<string, string>, entry = 'dist/index.js'): ActionRun {
  const dir = mkdtempSync(join(tmpdir(), 'kubefed-runner-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STATE: 'state', GITHUB_STEP_SUMMARY: 'summary' };
  for (const name of Object.values(files)) writeFileSync(join(dir, name), '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    RUNNER_TEMP: dir,
    ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, join(dir, f)])),
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const result = spawnSync(process.execPath, [entry], { env, encoding: 'utf8', timeout: 170_000 });
  const state = parseFileCommands(readFileSync(join(dir, 'state'), 'utf8'));
  return {
    status: result.status,
    log: `${result.stdout}${result.stderr}`,
    shown: `${result.stdout}${result.stderr}`.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'),
    outputs: parseFileCommands(readFileSync(join(dir, 'output'), 'utf8')),
    summary: readFileSync(join(dir, 'summary'), 'utf8'),
    runnerTemp: dir,
    post: () => {
      const postEnv = { ...env, ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])) };
      const post = spawnSync(process.execPath, ['dist/post.js'], { env: postEnv, encoding: 'utf8' });
      return `${post.stdout}${post.stderr}`;
    },
  };
}
