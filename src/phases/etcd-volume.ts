// The federation's etcd data outlives destroy, as action.yml promises. The claim goes with the
// namespace, so the volume bound to it is given the Retain reclaim policy first: a provisioner's
// volume (reclaim policy Delete, the usual default) would otherwise be deleted with the data.
// Retain rather than keeping the claim: the claim is namespaced, so keeping it would mean
// keeping the namespace (and with it a half-removed federation); a Retained volume is
// cluster-wide, stays whole and Released once the claim is gone, and an admin can read it,
// bind it again or delete it.
import { execute } from '../apply/converge.js';
import { hostNames } from '../desired/control-plane.js';
import { FEDERATION_LABEL, FIELD_MANAGER, KubeObject, MANAGED_BY_LABEL } from '../desired/objects.js';
import type { Spec } from '../inputs/spec.js';
import type { Cluster } from '../observe/cluster.js';
import type { Step } from '../plan/plan.js';
import type { Log } from '../report/log.js';

export interface EtcdVolume {
  /** The PersistentVolume's name. */
  name: string;
  /** What becomes of it, for the log and the summary. */
  message: string;
  /** The change that keeps it (Retain), when one was needed. */
  steps: Step[];
}

/**
 * Keeps the volume bound to the etcd claim the action made: its reclaim policy set to Retain
 * before the claim is deleted. A claim the action did not make is only reported. Undefined
 * when there is no claim or it is not bound.
 */
export async function keepEtcdVolume(
  host: Cluster,
  spec: Spec,
  opts: { writes: boolean; log: Log },
): Promise<EtcdVolume | undefined> {
  const claimName = hostNames(spec.federationName).etcdClaim;
  const claim = await host.read({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName, namespace: spec.namespace },
  });
  const name = (claim?.spec as { volumeName?: string } | undefined)?.volumeName;
  if (!claim || !name) return undefined;
  const volume = await host.read({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name } });
  if (!volume) return undefined;
  const policy = reclaimPolicy(volume);
  const what =
    `PersistentVolume ${name} (the federation's etcd data, bound to claim ${spec.namespace}/${claimName}; ` +
    'find it with kubectl get pv)';
  const labels = claim.metadata.labels ?? {};
  const ours = labels[MANAGED_BY_LABEL] === FIELD_MANAGER && labels[FEDERATION_LABEL] === spec.federationName;
  const step = retainStep(volume);
  if (!ours || !step) {
    const fate = policy === 'Retain' ? 'is kept (reclaim policy Retain)' : `has reclaim policy ${policy}`;
    return { name, message: `${what} ${fate}: delete it when the data is no longer needed`, steps: [] };
  }
  const steps = await execute([step], () => host, opts);
  return {
    name,
    message:
      `${what} is kept: its reclaim policy was ${policy} and is now Retain, so it outlives the claim; ` +
      'delete it when the data is no longer needed',
    steps,
  };
}

function reclaimPolicy(volume: KubeObject): string {
  return (volume.spec as { persistentVolumeReclaimPolicy?: string } | undefined)?.persistentVolumeReclaimPolicy ?? '';
}

/** The one field set on the volume (server-side apply of it alone), or none when it is Retain already. */
export function retainStep(volume: KubeObject): Step | undefined {
  const policy = reclaimPolicy(volume);
  if (policy === 'Retain') return undefined;
  return {
    action: 'update',
    target: { kind: 'host' },
    object: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: volume.metadata.name },
      spec: { persistentVolumeReclaimPolicy: 'Retain' },
    },
    reason: `reclaim policy ${policy || 'unset'} → Retain: the etcd data outlives destroy`,
  };
}
