// observeAll reads several objects of one kind with one list by the action's labels (issue 23:
// a no-op re-run's requests), and still sees what the list cannot: an object of that name that
// someone else made (no labels), and one that is absent. Against a real test API server.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { observeAll, observedOf } from '../src/apply/converge.js';
import { type KubeObject, ownedBy } from '../src/desired/objects.js';
import { Cluster } from '../src/observe/cluster.js';
import type { Desired } from '../src/plan/plan.js';
import { clientFor, kubeConfigFor } from './helpers/testenv.js';

const NS = 'observe-all';
const api = () => clientFor('rivendell');

/** A client of rivendell that counts its reads and lists (the requests observeAll makes). */
class Counting extends Cluster {
  reads = 0;
  lists = 0;
  override async read(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>) {
    this.reads++;
    return super.read(obj);
  }
  override async list(apiVersion: string, kind: string, labelSelector: string, namespace?: string) {
    this.lists++;
    return super.list(apiVersion, kind, labelSelector, namespace);
  }
}

function rivendell(): Counting {
  return new Counting({ kind: 'host' }, 'rivendell', kubeConfigFor('rivendell'));
}

const configMap = (name: string, labels?: Record<string, string>, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS, ...(labels ? { labels } : {}) },
  data,
});
const onHost = (object: KubeObject): Desired => ({ target: { kind: 'host' }, object });

beforeAll(async () => {
  await api().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (const made of [
    configMap('ours-1', ownedBy('lothlorien'), { n: '1' }),
    configMap('ours-2', ownedBy('lothlorien'), { n: '2' }),
    configMap('theirs', undefined, { n: 'theirs' }),
    configMap('other-federation', ownedBy('mirkwood'), { n: 'mirkwood' }),
  ])
    await api().create(made);
});
afterAll(async () => {
  await api().delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});

describe('observeAll', () => {
  test('one list for several of a kind with the labels, then a read of each the list did not hold', async () => {
    const desired = ['ours-1', 'ours-2', 'theirs', 'other-federation', 'absent'].map((name) =>
      onHost(configMap(name, ownedBy('lothlorien'))),
    );
    const host = rivendell();
    const observed = await observeAll(desired, () => host);
    const data = desired.map((d) => (observedOf(observed, d)?.data as { n?: string } | undefined)?.n);
    expect(data).toEqual(['1', '2', 'theirs', 'mirkwood', undefined]);
    // Made by someone else: seen as it is, without the labels, so the plan refuses to take it over.
    expect(observedOf(observed, desired[2])?.metadata.labels).toBeUndefined();
    expect({ lists: host.lists, reads: host.reads }).toEqual({ lists: 1, reads: 3 });
  });

  test('fewer than three of a kind, or objects without the labels, are read one by one', async () => {
    const host = rivendell();
    const few = ['ours-1', 'ours-2'].map((name) => onHost(configMap(name, ownedBy('lothlorien'))));
    const unlabelled = ['theirs', 'ours-1', 'ours-2'].map((name) => onHost(configMap(name)));
    const observed = await observeAll([...few, ...unlabelled], () => host);
    expect(observedOf(observed, unlabelled[0])?.data).toEqual({ n: 'theirs' });
    expect({ lists: host.lists, reads: host.reads }).toEqual({ lists: 0, reads: 5 });
  });
});
