// Before anything is written: the etcd claim the run would create can get a volume on the host.
// Checked with the control plane's first reads (phases/control-plane.ts), in the same round trip.
import { InputError } from '../inputs/spec.js';
import { etcdStorageProblem, needsDefaultClass } from '../inputs/storage-class.js';
import { readStorage } from '../observe/storage.js';
import { type Phase, hostOf } from './scope.js';

/** A host with no default StorageClass is an input error when the etcd claim names no class. */
export const checkEtcdStorage: Phase = async (scope) => {
  if (!needsDefaultClass(scope.spec)) return;
  const problem = etcdStorageProblem(scope.spec, await readStorage(hostOf(scope), scope.spec));
  if (problem) throw new InputError([problem]);
};
