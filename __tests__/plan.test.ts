import { describe, expect, test } from '@jest/globals';
import { KubeObject, canonicalJson, withAppliedHash } from '../src/desired/objects.js';
import { OwnershipConflict, differences, planApply, planDelete } from '../src/plan/plan.js';

const host = { kind: 'host' } as const;
const cm = (data: Record<string, string>): KubeObject =>
  withAppliedHash({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data });

describe('canonicalJson', () => {
  // Pinned as the first version wrote it: every object applied since carries its hash, and a
  // new spelling would rewrite them all on the next run.
  test('sorts keys by code unit, leaves undefined fields out and writes an undefined element as nothing', () => {
    const value = {
      spec: { b: [3, 'x', null, undefined, { z: 1, a: [] }], a: undefined, é: true, B: '"q"', 10: 1, 9: 2 },
      kind: 'K',
      empty: {},
    };
    expect(canonicalJson(value)).toBe(
      '{"empty":{},"kind":"K","spec":{"10":1,"9":2,"B":"\\"q\\"","b":[3,"x",null,,{"a":[],"z":1}],"é":true}}',
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });
});

describe('differences', () => {
  test('fields the server adds are not differences', () => {
    const want = { spec: { containers: [{ name: 'a', image: 'x' }] } };
    const have = {
      spec: {
        containers: [{ name: 'a', image: 'x', terminationMessagePath: '/dev/termination-log' }],
        dnsPolicy: 'ClusterFirst',
      },
    };
    expect(differences(want, have)).toEqual([]);
  });

  test('a changed value, a missing key and a list of another length are', () => {
    expect(differences({ a: { b: 1 } }, { a: { b: 2 } })).toEqual(['a.b']);
    expect(differences({ a: { c: 'x' } }, { a: {} })).toEqual(['a.c']);
    expect(differences({ args: ['--v=2'] }, { args: ['--v=2', '--x'] })).toEqual(['args']);
  });
});

describe('planApply / planDelete', () => {
  test('creates what is missing, updates what differs, leaves what matches', () => {
    const missing = cm({ a: '1' });
    const same = { ...cm({ b: '2' }), metadata: { ...cm({ b: '2' }).metadata, name: 'same' } };
    const changed = { ...cm({ c: '3' }), metadata: { ...cm({ c: '3' }).metadata, name: 'changed' } };
    const observed = new Map<string, KubeObject>([
      ['same', { ...same, metadata: { ...same.metadata, resourceVersion: '7' } }],
      ['changed', { ...changed, data: { c: '4' } }],
    ]);
    const steps = planApply(
      [missing, same, changed].map((object) => ({ target: host, object })),
      (_, o) => observed.get(o.metadata.name),
    );
    expect(steps.map((s) => [s.action, s.object.metadata.name])).toEqual([
      ['create', 'c'],
      ['update', 'changed'],
    ]);
    expect(steps[1].reason).toBe('data.c differ');
  });

  test('a key dropped from the desired object changes its hash, so it is applied again', () => {
    const before = cm({ a: '1', b: '2' });
    const after = cm({ a: '1' });
    expect(planApply([{ target: host, object: after }], () => before)).toHaveLength(1);
  });

  test('deletes only what exists, dependents first', () => {
    const objects = ['first', 'second', 'gone'].map((name) => ({
      target: host,
      object: { ...cm({}), metadata: { name } },
    }));
    const steps = planDelete(objects, (_, o) => (o.metadata.name === 'gone' ? undefined : o));
    expect(steps.map((s) => `${s.action} ${s.object.metadata.name}`)).toEqual(['delete second', 'delete first']);
  });

  test('never takes over an object of another federation, or one the action did not make', () => {
    const mine = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'sa',
        namespace: 'kube-system',
        labels: { 'app.kubernetes.io/managed-by': 'kubefed-action', 'kubefed-action.io/federation': 'a' },
      },
    };
    const theirs = {
      ...mine,
      metadata: { ...mine.metadata, labels: { ...mine.metadata.labels, 'kubefed-action.io/federation': 'a-b' } },
    };
    const foreign = { ...mine, metadata: { ...mine.metadata, labels: {} } };
    const target = { kind: 'member' as const, cluster: 'c' };
    expect(() => planApply([{ target, object: mine }], () => theirs)).toThrow(
      'refusing to take over: ServiceAccount kube-system/sa belongs to federation a-b (on c)',
    );
    expect(() => planApply([{ target, object: mine }], () => foreign)).toThrow(OwnershipConflict);
    expect(planApply([{ target, object: mine }], () => mine)).toEqual([]);
  });
});
