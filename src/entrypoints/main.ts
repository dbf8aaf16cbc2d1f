// The action's main step: the only place (with post.ts) that knows about @actions/core.
import './v8-heap.js';
import * as core from '@actions/core';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseSpec } from '../inputs/spec.js';
import { loadKubeconfig } from '../inputs/kubeconfig.js';
import { Log, safeLog } from '../report/log.js';
import { outputs } from '../report/outputs.js';
import { summaryMarkdown } from '../report/summary.js';
import { verdict } from '../report/verdict.js';
import { withJournal } from '../apply/apply.js';
import { failedResult } from '../report/result.js';
import { run } from '../phases/run.js';
import { STATE, writePrivateFile } from './tempfiles.js';

const log: Log = safeLog({
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  group: (title) => {
    core.startGroup(title);
    return () => core.endGroup();
  },
});

/** The kubeconfig input may also name a file on the runner. */
function kubeconfigInput(): string {
  const value = core.getInput('kubeconfig');
  const path = value.trim();
  if (path !== '' && !path.includes('\n') && path.length < 4096 && existsSync(path)) return readFileSync(path, 'utf8');
  return value;
}

async function main(): Promise<void> {
  // Mask every credential in the kubeconfig (and a base64 input as given) before anything else
  // can log. Parse errors name a position only, never a line of the input.
  const kubeconfig = loadKubeconfig(kubeconfigInput());
  kubeconfig.secrets.forEach((s) => core.setSecret(s));

  const spec = parseSpec((name) => core.getInput(name), {
    readFile: (p) => readFileSync(p, 'utf8'),
    // The DNS controller's default image is this action's own, at the ref the workflow uses.
    action: { repository: process.env.GITHUB_ACTION_REPOSITORY, ref: process.env.GITHUB_ACTION_REF },
  });
  // A run that stops on an error still reports what it had changed (outputs and summary).
  const outcome = await withJournal(() => run(spec, kubeconfig.config, { log, mask: (s) => core.setSecret(s) }));
  const result =
    'result' in outcome
      ? outcome.result
      : failedResult(spec.federationName, outcome.applied, errorMessage(outcome.error));

  let kubeconfigPath: string | undefined;
  if (result.federationKubeconfig) {
    const file = writePrivateFile(process.env.RUNNER_TEMP || tmpdir(), 'kubeconfig', result.federationKubeconfig);
    kubeconfigPath = file.path;
    core.saveState(STATE.kubeconfig, file.path);
    core.saveState(STATE.nonce, file.nonce);
  }
  for (const [name, value] of Object.entries(outputs(result, kubeconfigPath))) core.setOutput(name, value);
  await core.summary.addRaw(summaryMarkdown(spec, result)).write();

  // Errors and health problems become annotations; warnings were annotated as they happened.
  const { failed, message } = verdict(spec, result);
  for (const error of result.errors) core.error(error);
  for (const problem of result.problems) (failed ? core.error : core.warning)(problem);
  if (failed) core.setFailed(message);
  else log.info(message);
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

main()
  .catch((err: unknown) => core.setFailed(errorMessage(err)))
  // An exec credential plugin that missed its deadline may still be running: the step ends
  // now all the same (once what it printed has been written out).
  .finally(() => process.stdout.write('', () => process.exit()));
