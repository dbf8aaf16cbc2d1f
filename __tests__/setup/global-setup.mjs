// Starts the local clusters once for the whole run: rivendell (host), gondor (under the
// guide's awkward context name "gondor_needs-no_king") and noldor. testenv stops them when
// this process exits, even if Jest is killed before its teardown.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { up } from '../../testenv/index.mjs';

export default async function globalSetup() {
  const state = mkdtempSync(join(tmpdir(), 'kubefed-jest-'));
  up({ clusters: 'rivendell,gondor=gondor_needs-no_king,noldor', state, watchPid: process.pid });
  process.env.KUBEFED_TESTENV_STATE = state;
}
