// The only module that writes to a cluster: server-side apply with one field manager, deletes,
// and the one merge patch (a member's kube-dns ConfigMap, whose other entries are not ours).
import { ApiException, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Cluster, isNotFound, rawResource } from '../observe/cluster.js';
import type { Log } from '../report/log.js';
import { FIELD_MANAGER, KubeObject, Target, objectRef } from '../desired/objects.js';
import { Step, describeStep } from '../plan/plan.js';

export type ClusterFor = (target: Target) => Cluster;

/** The steps applied within the current run (see withJournal). */
const journal = new AsyncLocalStorage<Step[]>();

/**
 * Runs `run`, recording every step applied during it, so that a run that fails half way can
 * still say what it changed (the entry points write it as outputs and summary).
 */
export async function withJournal<T>(
  run: () => Promise<T>,
): Promise<{ applied: Step[] } & ({ result: T } | { error: unknown })> {
  const applied: Step[] = [];
  try {
    return { applied, result: await journal.run(applied, run) };
  } catch (error) {
    return { applied, error };
  }
}

export async function applySteps(steps: Step[], clusterFor: ClusterFor, log: Log): Promise<void> {
  for (const step of steps) {
    const cluster = clusterFor(step.target);
    log.info(describeStep(step));
    if (step.action === 'delete') await remove(cluster, step.object);
    else if (step.dataPatch) await patchConfigMapData(cluster, step.object, step.dataPatch);
    else if (step.annotationPatch) await patchAnnotations(cluster, step.object, step.annotationPatch);
    else await serverSideApply(cluster, step.object);
    journal.getStore()?.push(step);
    if (step.action !== 'delete' && step.object.kind === 'CustomResourceDefinition')
      await waitEstablished(cluster, step.object);
  }
}

/**
 * Applies steps that do not depend on one another all at once: one round trip across the
 * network instead of one each. Each is logged as it starts, in the planned order.
 */
export async function applyStepsTogether(steps: Step[], clusterFor: ClusterFor, log: Log): Promise<void> {
  await Promise.all(steps.map((step) => applySteps([step], clusterFor, log)));
}

/**
 * Creates the object unless it exists (a plain create, which the server refuses with 409 when
 * another writer was first). True when this call created it.
 */
export async function createIfAbsent(cluster: Cluster, obj: KubeObject, log: Log): Promise<boolean> {
  try {
    await cluster.retrying(() => cluster.api.create(obj, undefined, undefined, FIELD_MANAGER));
  } catch (err) {
    if (err instanceof ApiException && err.code === 409) {
      log.info(`${objectRef(obj)} was created by another run meanwhile; using it`);
      return false;
    }
    throw cluster.explain(err, `create ${objectRef(obj)}`);
  }
  const step: Step = { action: 'create', target: cluster.target, object: obj };
  log.info(describeStep(step));
  journal.getStore()?.push(step);
  return true;
}

async function serverSideApply(cluster: Cluster, obj: KubeObject): Promise<void> {
  const raw = rawResource(obj);
  const applyPatch = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  try {
    await cluster.retrying(() =>
      raw
        ? cluster.raw.patchClusterCustomObject(
            { ...raw, name: obj.metadata.name, body: obj, fieldManager: FIELD_MANAGER, force: true },
            applyPatch,
          )
        : cluster.api.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    );
  } catch (err) {
    throw cluster.explain(err, `apply ${objectRef(obj)}`);
  }
}

async function remove(cluster: Cluster, obj: KubeObject): Promise<void> {
  // An object planned from a resourceVersion is deleted only if nobody changed it since.
  const resourceVersion = obj.metadata.resourceVersion as string | undefined;
  const options = resourceVersion ? { preconditions: { resourceVersion } } : undefined;
  try {
    await cluster.retrying(() =>
      cluster.api.delete(obj, undefined, undefined, undefined, undefined, 'Background', options),
    );
  } catch (err) {
    if (!isNotFound(err)) throw cluster.explain(err, `delete ${objectRef(obj)}`);
  }
}

/** Instances of a new CRD are refused until it is Established. */
async function waitEstablished(cluster: Cluster, crd: KubeObject, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const current = await cluster.read(crd);
    const conditions = (current?.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${cluster.label}: ${objectRef(crd)} not Established after ${timeoutMs / 1000}s`);
}

/**
 * Sets (or, with null, removes) single keys of a ConfigMap's data with a JSON merge patch that
 * carries the resourceVersion it was computed from, so a concurrent edit is never lost: the
 * server answers 409 Conflict instead, and the caller plans again from a fresh read.
 */
async function patchConfigMapData(
  cluster: Cluster,
  configMap: KubeObject,
  data: Record<string, string | null>,
): Promise<void> {
  const body = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMap.metadata.name,
      namespace: configMap.metadata.namespace,
      resourceVersion: configMap.metadata.resourceVersion as string,
    },
    data,
  };
  try {
    await cluster.retrying(() =>
      cluster.api.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    );
  } catch (err) {
    throw cluster.explain(err, `patch ${objectRef(configMap)}`);
  }
}

/**
 * Sets (or, with null, removes) single annotations with a JSON merge patch guarded by the
 * resourceVersion it was planned from: the rest of the object stays its owner's.
 */
async function patchAnnotations(
  cluster: Cluster,
  obj: KubeObject,
  annotations: Record<string, string | null>,
): Promise<void> {
  const { name, namespace, resourceVersion } = obj.metadata;
  // A merge patch removes a key given as null (the client's type knows only string values).
  const metadata = {
    name,
    namespace,
    resourceVersion: resourceVersion as string,
    annotations,
  } as KubeObject['metadata'];
  const body = { apiVersion: obj.apiVersion, kind: obj.kind, metadata };
  try {
    await cluster.retrying(() =>
      cluster.api.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    );
  } catch (err) {
    throw cluster.explain(err, `patch ${objectRef(obj)}`);
  }
}
