// The post step: removes the kubeconfig directory the main step wrote under RUNNER_TEMP, and
// only that (the state could name any path).
import * as core from '@actions/core';
import { tmpdir } from 'node:os';
import { STATE, removePrivateFile } from './tempfiles.js';

const path = core.getState(STATE.kubeconfig);
if (path) {
  const refused = removePrivateFile(path, core.getState(STATE.nonce), process.env.RUNNER_TEMP || tmpdir());
  if (refused) core.warning(`not removed: ${refused}`);
  else core.info('removed the federation kubeconfig');
}
