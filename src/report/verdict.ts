// Whether the step fails, and the one line that says so: a pure function of the result.
import type { Spec } from '../inputs/spec.js';
import type { RunResult } from './result.js';

export interface Verdict {
  failed: boolean;
  /** One line for the end of the log (and the step's failure message). */
  message: string;
}

/**
 * Whether the step fails: on any error in every mode; on ill health in check mode, and after
 * an apply that waited (with `wait: false`, ill health is only reported).
 */
export function verdict(spec: Spec, result: RunResult): Verdict {
  const name = `federation ${spec.federationName}`;
  if (result.errors.length) return { failed: true, message: `${name} failed: ${result.errors.join('; ')}` };
  const gates = spec.mode === 'check' || (spec.mode === 'apply' && spec.wait);
  if (!result.healthy && gates)
    return { failed: true, message: `${name} is not healthy: ${result.problems.join('; ')}` };
  if (spec.mode === 'plan') return { failed: false, message: `plan: ${result.steps.length} change(s)` };
  if (spec.mode === 'destroy')
    return { failed: false, message: result.changed ? `${name} destroyed` : `${name}: nothing left to destroy` };
  if (spec.mode === 'check') {
    const drift = result.steps.length
      ? ` (${result.steps.length} object(s) differ from the inputs; run apply to converge)`
      : '';
    return { failed: false, message: `${name} is healthy${drift}` };
  }
  const health = result.healthy ? '' : ` (not healthy yet, not waited for: ${result.problems.join('; ')})`;
  return { failed: false, message: `${result.changed ? `${name} converged` : `${name}: nothing to change`}${health}` };
}
