// The post step: removes the kubeconfig the main step wrote under RUNNER_TEMP.
import * as core from '@actions/core';
import { removePrivateFile } from './tempfiles.js';

const path = core.getState('kubeconfig');
if (path) {
  removePrivateFile(path);
  core.info('removed the federation kubeconfig');
}
