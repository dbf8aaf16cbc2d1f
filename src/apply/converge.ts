// One convergence pass over a set of objects: read what the servers hold, plan (pure), and
// apply when the mode writes; in plan and check modes, say what would be done instead.
import { ClusterFor, applySteps, applyStepsTogether } from './apply.js';
import type { Log } from '../report/log.js';
import {
  FEDERATION_LABEL,
  FIELD_MANAGER,
  KubeObject,
  MANAGED_BY_LABEL,
  Target,
  objectRef,
  ownedBySelector,
  targetName,
} from '../desired/objects.js';
import { Desired, Step, describeStep, planApply, planDelete } from '../plan/plan.js';

export interface ConvergeOptions {
  writes: boolean;
  log: Log;
  /** The steps do not depend on one another: apply them at once rather than in order. */
  together?: boolean;
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
  { writes, log, together }: ConvergeOptions,
): Promise<Step[]> {
  if (writes) await (together ? applyStepsTogether : applySteps)(steps, clusterFor, log);
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

/**
 * What the servers hold of `objects`, all read at once. Several of one kind in one place that
 * carry this action's labels are read with one list by those labels (eighteen CRDs in one
 * request, not eighteen); any the list does not hold (absent, or not labelled as ours) are
 * then read one by one, so an object someone else made is seen as it is.
 */
export async function observeAll(objects: Desired[], clusterFor: ClusterFor): Promise<Observation> {
  const observed = new Map<string, KubeObject | undefined>();
  const read = async ({ target, object }: Desired) =>
    observed.set(key(target, object), await clusterFor(target).read(object));
  await Promise.all(
    [...groupedForListing(objects).values()].map(async (group) => {
      const [{ target, object }] = group;
      const selector = ownerSelectorOf(object);
      if (group.length < LIST_AT || !selector) return Promise.all(group.map(read));
      const { apiVersion, kind, metadata } = object;
      const listed = await clusterFor(target).list(apiVersion, kind, selector, metadata.namespace);
      const byName = new Map(listed.map((o) => [o.metadata.name, o]));
      for (const d of group)
        if (byName.has(d.object.metadata.name))
          observed.set(key(d.target, d.object), byName.get(d.object.metadata.name));
      return Promise.all(group.filter((d) => !byName.has(d.object.metadata.name)).map(read));
    }),
  );
  return observed;
}

/** From how many objects of one kind in one place a list is cheaper than reading each. */
const LIST_AT = 3;

/** The objects by where a list would find them: target, kind, namespace and owner labels. */
function groupedForListing(objects: Desired[]): Map<string, Desired[]> {
  const groups = new Map<string, Desired[]>();
  for (const d of objects) {
    const { apiVersion, kind, metadata } = d.object;
    const where = JSON.stringify([
      targetName(d.target),
      apiVersion,
      kind,
      metadata.namespace,
      ownerSelectorOf(d.object),
    ]);
    groups.set(where, [...(groups.get(where) ?? []), d]);
  }
  return groups;
}

/** The label selector of the federation that owns `object`, when it carries the action's labels. */
function ownerSelectorOf(object: KubeObject): string | undefined {
  const labels = object.metadata.labels ?? {};
  const federation = labels[FEDERATION_LABEL];
  return labels[MANAGED_BY_LABEL] === FIELD_MANAGER && federation ? ownedBySelector(federation) : undefined;
}
