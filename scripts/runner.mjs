// Runs the built action as a GitHub runner does: inputs as INPUT_<NAME> variables, outputs,
// state and summary through the runner's files in a fresh RUNNER_TEMP. Shared by the tests,
// the demo and the benchmark, so all three run the action the same way.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const FILES = { GITHUB_OUTPUT: 'output', GITHUB_STATE: 'state', GITHUB_STEP_SUMMARY: 'summary' };

/** Parses the runner's file-command format (name<<delimiter ... delimiter). */
export function parseFileCommands(text) {
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
    out[m[1]] = value.join('\n');
  }
  return out;
}

/** What a reader of the workflow log sees: the log without the runner's mask commands. */
export const shown = (log) =>
  log
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

/** A fresh runner directory and the environment of a step with these inputs. */
export function runnerStep(inputs) {
  const dir = mkdtempSync(join(tmpdir(), 'kubefed-runner-'));
  for (const name of Object.values(FILES)) writeFileSync(join(dir, name), '');
  const env = { PATH: process.env.PATH ?? '', RUNNER_TEMP: dir };
  for (const [variable, name] of Object.entries(FILES)) env[variable] = join(dir, name);
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const read = (file) => readFileSync(join(dir, FILES[file]), 'utf8');
  return {
    dir,
    env,
    outputs: () => parseFileCommands(read('GITHUB_OUTPUT')),
    state: () => parseFileCommands(read('GITHUB_STATE')),
    summary: () => read('GITHUB_STEP_SUMMARY'),
  };
}

/**
 * Runs `entry` (dist/index.js unless told) to its end. `argv` replaces the node arguments, for a
 * caller that wraps the entry (the benchmark reads the peak memory inside the child).
 */
export function runStep(inputs, { entry = 'dist/index.js', argv, timeoutMs, maxBuffer = 64 << 20 } = {}) {
  const step = runnerStep(inputs);
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, argv ?? [resolve(entry)], {
    env: step.env,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error && result.error.code !== 'ETIMEDOUT') throw result.error;
  return { ...step, status: result.status, stdout: result.stdout, stderr: result.stderr, ms };
}

/**
 * Starts the action in a process of its own, so runs can overlap and a caller can kill one.
 * `onLine`, if given, sees each line of the log as it comes, with the stream it came on.
 */
export function startStep(inputs, entry = 'dist/index.js', { onLine } = {}) {
  const step = runnerStep(inputs);
  const child = spawn(process.execPath, [resolve(entry)], { env: step.env });
  let log = '';
  const pending = { stdout: '', stderr: '' };
  const take = (stream) => (data) => {
    log += data;
    if (!onLine) return;
    const lines = (pending[stream] + data).split('\n');
    pending[stream] = lines.pop();
    for (const line of lines) onLine(line, stream);
  };
  // Decoded as a stream, so a character split between two chunks stays whole.
  child.stdout?.setEncoding('utf8').on('data', take('stdout'));
  child.stderr?.setEncoding('utf8').on('data', take('stderr'));
  // 'close', not 'exit': the child's output may still be arriving when it exits.
  const done = new Promise((resolveDone) =>
    child.on('close', (status, signal) => {
      for (const stream of ['stdout', 'stderr']) if (pending[stream]) onLine?.(pending[stream], stream);
      resolveDone({ status, signal, log, outputs: step.outputs() });
    }),
  );
  return { ...step, child, done };
}
