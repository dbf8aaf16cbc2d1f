// What the action's object API answers (src/observe/object-api.ts): the server's JSON as it was
// sent, not the client's generated models, for reads, lists and writes alike; a refusal is
// still the client's ApiException. Against a real test API server.
import { afterAll, describe, expect, test } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { Cluster } from '../src/observe/cluster.js';
import { clientFor, kubeConfigFor } from './helpers/testenv.js';

const NAME = 'object-api-test';
const ref = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: 'default' } };

function rivendell(): Cluster {
  return new Cluster({ kind: 'host' }, 'host cluster', kubeConfigFor('rivendell'));
}

afterAll(async () => {
  await clientFor('rivendell')
    .delete(ref)
    .catch(() => undefined);
});

describe('the object API', () => {
  const cluster = rivendell();

  test('answers a write, a read and a list with the JSON the server sent', async () => {
    // The client's models would make the timestamp a Date; the server sends RFC 3339 text.
    const written = (await cluster.api.create({ ...ref, data: { a: '1' } })) as Record<string, unknown>;
    const read = await cluster.read(ref);
    const listed = (await cluster.list('v1', 'ConfigMap', '', 'default')).find((o) => o.metadata.name === NAME);
    for (const answer of [written, read, listed] as { metadata: Record<string, unknown> }[])
      expect(answer.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('a refusal is the client ApiException, with the code the server gave', async () => {
    const refused = await cluster.api.create({ ...ref, data: { a: '1' } }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<unknown>).code).toBe(409);
  });
});
