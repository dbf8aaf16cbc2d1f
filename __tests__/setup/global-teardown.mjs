import { rmSync } from 'node:fs';
import { down } from '../../testenv/index.mjs';

export default async function globalTeardown() {
  const state = process.env.KUBEFED_TESTENV_STATE;
  if (!state) return;
  down({ state });
  rmSync(state, { recursive: true, force: true });
}
