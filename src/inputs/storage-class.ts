// Whether the etcd claim the action would create can get a volume on the host: a claim that
// names no class takes the host's default StorageClass, and without one it stays Pending (and
// the API server with it) forever. Pure: observe/storage.ts reads what it needs.
import type { Spec } from './spec.js';

/** The annotations that make a StorageClass the default, the GA one and the beta one. */
export const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

export interface StorageClassFields {
  metadata: { name?: string; annotations?: Record<string, string> };
}

export interface ObservedStorage {
  /** The etcd claim exists already: its class was settled when it was made. */
  claimExists: boolean;
  classes: StorageClassFields[];
  /** Available PersistentVolumes of no class (made by hand), which a claim of no class binds to. */
  unclassedVolumes: number;
}

/** Whether the observed storage matters at all: persistence on, no class named. */
export const needsDefaultClass = (spec: Spec) => spec.etcd.persistentStorage && !spec.etcd.storageClass;

export const isDefaultClass = (c: StorageClassFields) =>
  DEFAULT_CLASS_ANNOTATIONS.some((a) => c.metadata.annotations?.[a] === 'true');

/** The input problem, naming both ways out, when the etcd claim would find no volume; else null. */
export function etcdStorageProblem(spec: Spec, observed: ObservedStorage): string | null {
  if (!needsDefaultClass(spec) || observed.claimExists) return null;
  if (observed.classes.some(isDefaultClass) || observed.unclassedVolumes > 0) return null;
  const names = observed.classes.map((c) => c.metadata.name ?? '').filter(Boolean);
  const pick = names.length
    ? `etcd-pv-storage-class: <one of ${names.join(', ')}>`
    : 'etcd-pv-storage-class: <a StorageClass you create>';
  return (
    'etcd-pv-storage-class: the host cluster has no default StorageClass ' +
    `(${names.length ? `its classes: ${names.join(', ')}` : 'it has none'}), so the etcd claim would stay Pending; ` +
    `set ${pick}, or etcd-persistent-storage: false (etcd data in an emptyDir, lost with its pod)`
  );
}
