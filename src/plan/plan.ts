// Observed + desired → ordered steps. Pure: no I/O, so every decision is unit-testable and
// `mode: plan` shows exactly what `mode: apply` would do.
import { FEDERATION_LABEL, KubeObject, MANAGED_BY_LABEL, Target, objectRef, targetName } from '../desired/objects.js';

/** An object the action would take over from its owner: nothing is written. */
export class OwnershipConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OwnershipConflict';
  }
}

/**
 * Why the action must not write `desired` over `current`: it is another federation's, or it
 * was not made by the action at all. Null when it is the action's own (or carries no mark).
 */
export function ownershipConflict(desired: KubeObject, current: KubeObject): string | null {
  const want = desired.metadata.labels ?? {};
  const have = current.metadata.labels ?? {};
  if (!want[MANAGED_BY_LABEL]) return null;
  if (have[MANAGED_BY_LABEL] !== want[MANAGED_BY_LABEL])
    return `${objectRef(current)} exists and was not made by this action`;
  if (want[FEDERATION_LABEL] && have[FEDERATION_LABEL] && have[FEDERATION_LABEL] !== want[FEDERATION_LABEL]) {
    return `${objectRef(current)} belongs to federation ${have[FEDERATION_LABEL]}`;
  }
  return null;
}

export type Action = 'create' | 'update' | 'delete';

export interface Step {
  action: Action;
  target: Target;
  object: KubeObject;
  /** Why an update is needed: the first fields that differ. */
  reason?: string;
  /**
   * For an object the action shares with others (a member's kube-dns ConfigMap): set (or, with
   * null, remove) only these data keys, guarded by the resourceVersion it was planned from.
   */
  dataPatch?: Record<string, string | null>;
  /** Set (or, with null, remove) only these annotations of an object the user owns (kubefed.io/orphan). */
  annotationPatch?: Record<string, string | null>;
}

export interface Desired {
  target: Target;
  object: KubeObject;
}

/** What is on the server now, by `objectRef` within a target; absent when it does not exist. */
export type Observed = (target: Target, obj: KubeObject) => KubeObject | undefined;

/**
 * Creates what is missing and updates what differs, in the order given (dependencies first).
 * An object whose every declared field already has the declared value is left alone, so a
 * re-run sends no write at all. An object that is someone else's is never taken over: the
 * whole plan is refused (OwnershipConflict) before anything is written.
 */
export function planApply(desired: Desired[], observed: Observed): Step[] {
  const steps: Step[] = [];
  const conflicts: string[] = [];
  for (const { target, object } of desired) {
    const current = observed(target, object);
    if (!current) {
      steps.push({ action: 'create', target, object });
      continue;
    }
    const conflict = ownershipConflict(object, current);
    if (conflict) {
      conflicts.push(`${conflict} (on ${targetName(target)})`);
      continue;
    }
    const diff = differences(object, current);
    if (diff.length > 0)
      steps.push({
        action: 'update',
        target,
        object,
        reason: `${diff.slice(0, 3).join(', ')}${diff.length > 3 ? ', …' : ''} differ`,
      });
  }
  if (conflicts.length) throw new OwnershipConflict(`refusing to take over: ${conflicts.join('; ')}`);
  return steps;
}

/** Deletes what exists, in reverse order (dependents first). */
export function planDelete(unwanted: Desired[], observed: Observed): Step[] {
  return unwanted
    .filter(({ target, object }) => observed(target, object) !== undefined)
    .reverse()
    .map(({ target, object }) => ({ action: 'delete' as const, target, object }));
}

/**
 * The paths at which `want` is not contained in `have`. Maps are compared key by key (the
 * server may add fields); lists must have the same length, element by element (the server
 * fills defaults inside list items, such as a container's terminationMessagePath).
 */
export function differences(want: unknown, have: unknown, path = ''): string[] {
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return [path || '.'];
    return want.flatMap((w, i) => differences(w, have[i], `${path}[${i}]`));
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return [path || '.'];
    return Object.entries(want as Record<string, unknown>).flatMap(([key, w]) =>
      w === undefined ? [] : differences(w, (have as Record<string, unknown>)[key], path ? `${path}.${key}` : key),
    );
  }
  return want === have ? [] : [path || '.'];
}

export function describeStep(step: Step): string {
  const where = targetName(step.target);
  return `${step.action} ${objectRef(step.object)} on ${where}${step.reason ? ` (${step.reason})` : ''}`;
}
