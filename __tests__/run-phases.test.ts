// The order of a run's phases where it is a choice (issue 23): what the control plane's chain
// waits on goes out first.
import { describe, expect, test } from '@jest/globals';
import { phasesOf } from '../src/phases/run.js';
import { readControlPlaneAhead } from '../src/phases/control-plane.js';
import { readMembersAhead } from '../src/phases/membership.js';

describe('phasesOf', () => {
  test.each(['apply', 'check', 'plan'] as const)(
    "in %s, the host's first reads go out before the members' reads",
    (mode) => {
      // A member's first requests are a TLS handshake each, CPU the host's answers would wait
      // behind: at 100 members and 25 ms the host's first round trip took 0.77 s after them and
      // the no-op 0.6 s longer (the federation API's reads all wait on the host's).
      const phases = phasesOf('converge', mode);
      expect(phases.indexOf(readControlPlaneAhead)).toBeGreaterThanOrEqual(0);
      expect(phases.indexOf(readControlPlaneAhead)).toBeLessThan(phases.indexOf(readMembersAhead));
    },
  );
});
