// One convergence pass over a set of objects: read what the servers hold, plan (pure), and
// apply when the mode writes; in plan and check modes, say what would be done instead.
import { ClusterFor, applySteps } from './apply.js';
import type { Log } from '../report/log.js';
import { KubeObject, Target, objectRef, targetName } from '../desired/objects.js';
import { Desired, Step, describeStep, planApply, planDelete } from '../plan/plan.js';

export interface ConvergeOptions {
  writes: boolean;
  log: Log;
}

/**
 * Creates or updates `desired` in order; `reachable: false` plans against nothing (all creates).
 * `observed` is what the caller already read of them (observeAll), so nothing is read twice.
 */
export async function converge(
  desired: Desired[],
  clusterFor: ClusterFor,
  opts: ConvergeOptions,
  reachable = true,
  observed?: Observation,
): Promise<Step[]> {
  const seen =
    observed ?? (reachable ? await observeAll(desired, clusterFor) : new Map<string, KubeObject | undefined>());
  return execute(
    planApply(desired, (t, o) => seen.get(key(t, o))),
    clusterFor,
    opts,
  );
}

/** Deletes whichever of `unwanted` exist, dependents first (the reverse of their order). */
export async function removeAll(unwanted: Desired[], clusterFor: ClusterFor, opts: ConvergeOptions): Promise<Step[]> {
  const observed = await observeAll(unwanted, clusterFor);
  return execute(
    planDelete(unwanted, (t, o) => observed.get(key(t, o))),
    clusterFor,
    opts,
  );
}

/** Applies planned steps, or logs them when the mode does not write. */
export async function execute(
  steps: Step[],
  clusterFor: ClusterFor,
  { writes, log }: ConvergeOptions,
): Promise<Step[]> {
  if (writes) await applySteps(steps, clusterFor, log);
  else steps.forEach((s) => log.info(`would ${describeStep(s)}`));
  return steps;
}

const key = (t: Target, o: KubeObject) => `${targetName(t)}|${o.apiVersion}|${objectRef(o)}`;

/** What the servers hold of each object, by target and reference (undefined: absent). */
export type Observation = Map<string, KubeObject | undefined>;

/** The object `observation` holds for `desired`. */
export function observedOf(observation: Observation, { target, object }: Desired): KubeObject | undefined {
  return observation.get(key(target, object));
}

export async function observeAll(objects: Desired[], clusterFor: ClusterFor): Promise<Observation> {
  const observed = new Map<string, KubeObject | undefined>();
  await Promise.all(
    objects.map(async ({ target, object }) => observed.set(key(target, object), await clusterFor(target).read(object))),
  );
  return observed;
}
