// What decides whether the etcd claim can get a volume on the host (inputs/storage-class.ts).
import { hostNames } from '../desired/control-plane.js';
import type { Spec } from '../inputs/spec.js';
import { type ObservedStorage, type StorageClassFields, isDefaultClass } from '../inputs/storage-class.js';
import type { Cluster } from './cluster.js';

/**
 * The etcd claim and the host's StorageClasses; only when none is the default (and the claim is
 * still to be made), the volumes of no class, which such a claim binds to (volumes made by hand).
 */
export async function readStorage(host: Cluster, spec: Spec): Promise<ObservedStorage> {
  const name = hostNames(spec.federationName).etcdClaim;
  const [claim, classes] = await Promise.all([
    host.read({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: spec.namespace } }),
    host.list('storage.k8s.io/v1', 'StorageClass', '') as Promise<StorageClassFields[]>,
  ]);
  const claimExists = claim !== undefined;
  if (claimExists || classes.some(isDefaultClass)) return { claimExists, classes, unclassedVolumes: 0 };
  const volumes = await host.list('v1', 'PersistentVolume', '');
  const unclassedVolumes = volumes.filter((v) => {
    const { spec: pv, status } = v as { spec?: { storageClassName?: string }; status?: { phase?: string } };
    return !pv?.storageClassName && status?.phase === 'Available';
  }).length;
  return { claimExists, classes, unclassedVolumes };
}
