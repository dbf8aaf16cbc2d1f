// The only module that writes to a cluster: server-side apply with one field manager, deletes,
// and the one merge patch (a member's kube-dns ConfigMap, whose other entries are not ours).
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Cluster, isNotFound, rawResource } from './cluster.js';
import type { Log } from './log.js';
import { FIELD_MANAGER, KubeObject, Target, objectRef } from './objects.js';
import { Step, describeStep } from './plan.js';

export type ClusterFor = (target: Target) => Cluster;

export async function applySteps(steps: Step[], clusterFor: ClusterFor, log: Log): Promise<void> {
  for (const step of steps) {
    const cluster = clusterFor(step.target);
    log.info(describeStep(step));
    if (step.action === 'delete') await remove(cluster, step.object);
    else if (step.dataPatch) await patchConfigMapData(cluster, step.object, step.dataPatch);
    else await serverSideApply(cluster, step.object);
    if (step.action !== 'delete' && step.object.kind === 'CustomResourceDefinition') await waitEstablished(cluster, step.object);
  }
}

async function serverSideApply(cluster: Cluster, obj: KubeObject): Promise<void> {
  const raw = rawResource(obj);
  const applyPatch = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  try {
    await cluster.retrying(() =>
      raw
        ? cluster.raw.patchClusterCustomObject({ ...raw, name: obj.metadata.name, body: obj, fieldManager: FIELD_MANAGER, force: true }, applyPatch)
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
    await cluster.retrying(() => cluster.api.delete(obj, undefined, undefined, undefined, undefined, 'Background', options));
  } catch (err) {
    if (!isNotFound(err)) throw cluster.explain(err, `delete ${objectRef(obj)}`);
  }
}

/** Instances of a new CRD are refused until it is Established. */
async function waitEstablished(cluster: Cluster, crd: KubeObject, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const current = await cluster.read(crd);
    const conditions = ((current?.status as { conditions?: { type: string; status: string }[] })?.conditions) ?? [];
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
    metadata: { name: configMap.metadata.name, namespace: configMap.metadata.namespace, resourceVersion: configMap.metadata.resourceVersion as string },
    data,
  };
  try {
    await cluster.retrying(() => cluster.api.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch));
  } catch (err) {
    throw cluster.explain(err, `patch ${objectRef(configMap)}`);
  }
}
