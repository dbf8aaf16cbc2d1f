// The REST names the action knows ahead (so it sends no discovery request) are those a real
// API server serves: each built-in kind, asked of rivendell's discovery, and a kind outside
// the table still found through discovery.
import { describe, expect, test } from '@jest/globals';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { BUILT_IN, MappedObjectApi } from '../src/observe/rest-mapping.js';
import { kubeConfigFor } from './helpers/testenv.js';

/** The client's own discovery, which KubernetesObjectApi keeps to itself. */
class Discovery extends KubernetesObjectApi {
  lookup(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }
}

describe('the REST mapping known ahead', () => {
  test('matches what the API server\u2019s discovery says, kind by kind', async () => {
    const kc = kubeConfigFor('rivendell');
    const discovery = kc.makeApiClient(Discovery);
    const known = kc.makeApiClient(MappedObjectApi);
    expect(BUILT_IN.length).toBeGreaterThan(10);
    for (const [apiVersion, kind] of BUILT_IN) {
      const served = await discovery.lookup(apiVersion, kind);
      const ahead = await known.resource(apiVersion, kind);
      expect({ kind, name: ahead?.name, namespaced: ahead?.namespaced }).toEqual({
        kind,
        name: served?.name,
        namespaced: served?.namespaced,
      });
    }
    // Not in the table: asked of the server.
    expect((await known.resource('batch/v1', 'Job'))?.name).toBe('jobs');
  });
});
