// The etcd claim needs a volume: a host with no default StorageClass, and no class named, is an
// input error that names both ways out (the StorageClass shapes are storage.k8s.io/v1's).
import { describe, expect, test } from '@jest/globals';
import { type Spec, parseSpec } from '../src/inputs/spec.js';
import { type ObservedStorage, etcdStorageProblem } from '../src/inputs/storage-class.js';

const spec = (inputs: Record<string, string> = {}): Spec => {
  const all: Record<string, string> = {
    'federation-name': 'fellowship',
    'host-cluster-context': 'rivendell',
    'dns-provider': 'coredns',
    'dns-zone-name': 'example.com.',
    ...inputs,
  };
  return parseSpec((n) => all[n] ?? '', { readFile: () => '' });
};
const storageClass = (name: string, annotations: Record<string, string> = {}) => ({
  metadata: { name, annotations },
});
const observed = (extra: Partial<ObservedStorage>): ObservedStorage => ({
  claimExists: false,
  classes: [],
  unclassedVolumes: 0,
  ...extra,
});

describe('etcdStorageProblem', () => {
  test('no default class: both ways out, with the classes that exist', () => {
    const classes = [storageClass('premium-rwo'), storageClass('standard-rwo')];
    expect(etcdStorageProblem(spec(), observed({ classes }))).toBe(
      'etcd-pv-storage-class: the host cluster has no default StorageClass (its classes: premium-rwo, standard-rwo), ' +
        'so the etcd claim would stay Pending; set etcd-pv-storage-class: <one of premium-rwo, standard-rwo>, ' +
        'or etcd-persistent-storage: false (etcd data in an emptyDir, lost with its pod)',
    );
    expect(etcdStorageProblem(spec(), observed({}))).toMatch(
      /\(it has none\).*set etcd-pv-storage-class: <a StorageClass you create>, or etcd-persistent-storage: false/,
    );
    // A class marked default otherwise than "true" is no default.
    const notQuite = [storageClass('standard', { 'storageclass.kubernetes.io/is-default-class': 'false' })];
    expect(etcdStorageProblem(spec(), observed({ classes: notQuite }))).not.toBeNull();
  });

  test('a default class, by the GA or the beta annotation, is enough', () => {
    for (const annotation of [
      'storageclass.kubernetes.io/is-default-class',
      'storageclass.beta.kubernetes.io/is-default-class',
    ]) {
      const classes = [storageClass('fast'), storageClass('standard', { [annotation]: 'true' })];
      expect(etcdStorageProblem(spec(), observed({ classes }))).toBeNull();
    }
  });

  test('no problem when a class is named, persistence is off, the claim exists, or volumes of no class wait', () => {
    expect(etcdStorageProblem(spec({ 'etcd-pv-storage-class': 'fast' }), observed({}))).toBeNull();
    expect(etcdStorageProblem(spec({ 'etcd-persistent-storage': 'false' }), observed({}))).toBeNull();
    expect(etcdStorageProblem(spec(), observed({ claimExists: true }))).toBeNull();
    expect(etcdStorageProblem(spec(), observed({ unclassedVolumes: 1 }))).toBeNull();
  });
});
