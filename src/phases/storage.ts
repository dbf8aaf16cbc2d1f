// Before anything is written: the etcd claim the run would create can get a volume on the host.
// Checked with the control plane's first reads (phases/control-plane.ts), in the same round trip.
import { InputError, type Spec } from '../inputs/spec.js';
import { etcdStorageProblem, needsDefaultClass } from '../inputs/storage-class.js';
import { readStorage } from '../observe/storage.js';
import type { Cluster } from '../observe/cluster.js';

/** A host with no default StorageClass is an input error when the etcd claim names no class. */
export async function checkEtcdStorage(host: Cluster, spec: Spec): Promise<void> {
  if (!needsDefaultClass(spec)) return;
  const problem = etcdStorageProblem(spec, await readStorage(host, spec));
  if (problem) throw new InputError([problem]);
}
