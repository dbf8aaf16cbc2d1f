// The built action (dist/index.js, then dist/post.js) run as a runner would, through the runner
// helper the demo and the benchmark share (scripts/runner.mjs).
import { spawnSync } from 'node:child_process';
import { runStep, shown, startStep } from '../../scripts/runner.mjs';

export interface ActionRun {
  status: number | null;
  /** Everything the step printed (stdout and stderr). */
  log: string;
  /** What a reader of the workflow log sees: the log without the runner's mask commands. */
  shown: string;
  outputs: Record<string, string>;
  /**
   * The job summary as a reader sees it rendered: the summary escapes every punctuation mark of
   * cluster text in its table cells (report/summary.ts), which the tests' patterns do not spell.
   */
  summary: string;
  /** The summary's Markdown as written. */
  summaryMarkdown: string;
  runnerTemp: string;
  post: () => string;
}

export type StartedAction = Pick<ReturnType<typeof startStep>, 'child' | 'done'>;

/** Starts the action in a process of its own, so runs can overlap and a test can kill one. */
export function startAction(inputs: Record<string, string>): StartedAction {
  return startStep(inputs);
}

/** Runs the action in a process of its own and resolves when it ends, so runs can overlap. */
export function runActionAsync(inputs: Record<string, string>) {
  return startAction(inputs).done;
}

/** Markdown's backslash escapes of ASCII punctuation removed, as a renderer shows the text. */
export const rendered = (markdown: string) => markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');

export function runAction(inputs: Record<string, string>, entry = 'dist/index.js'): ActionRun {
  const step = runStep(inputs, { entry, timeoutMs: 170_000 });
  const log = `${step.stdout}${step.stderr}`;
  return {
    status: step.status,
    log,
    shown: shown(log),
    outputs: step.outputs(),
    summary: rendered(step.summary()),
    summaryMarkdown: step.summary(),
    runnerTemp: step.dir,
    post: () => {
      const state = Object.entries(step.state()).map(([k, v]) => [`STATE_${k}`, v]);
      const post = spawnSync(process.execPath, ['dist/post.js'], {
        env: { ...step.env, ...Object.fromEntries(state) },
        encoding: 'utf8',
      });
      return `${post.stdout}${post.stderr}`;
    },
  };
}
