// What became of one member in a run: the shape the membership phases fill in and the report
// reads. It imports only a type, so the pure report code takes none of the phases' I/O with it.
import type { Step } from '../plan/plan.js';

export type MemberState =
  'joined' | 'not joined' | 'out of date' | 'unjoined' | 'to unjoin' | 'joined, not listed' | 'unreachable' | 'failed';

/** The states of a member that is in the federation once the run is done. */
export const JOINED_STATES: ReadonlySet<MemberState> = new Set<MemberState>([
  'joined',
  'out of date',
  'joined, not listed',
]);

export interface MemberOutcome {
  name: string;
  endpoint?: string;
  state: MemberState;
  /** Changes made (or, without writes, that would be made) for this member, on every cluster. */
  steps: Step[];
  /** What went wrong; the step fails at the end when any member has one. */
  error?: string;
  warnings: string[];
  /** Its kubeconfig context skips TLS verification (and so does the federation's record). */
  tlsUnverified?: boolean;
}
