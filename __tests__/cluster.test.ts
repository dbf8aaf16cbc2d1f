// What a Cluster says of itself in messages (never a password its server URL holds), and which
// answers it calls the server again after.
import { describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { Cluster, retryDelayMs } from '../src/observe/cluster.js';

function cluster(server: string): Cluster {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return new Cluster({ kind: 'host' }, 'host cluster', config);
}

describe('Cluster.server', () => {
  test('drops the user name and password of the URL', () => {
    expect(cluster('https://admin:PASS@rivendell.example:6443').server).toBe('https://rivendell.example:6443');
    expect(cluster('https://rivendell.example:6443').server).toBe('https://rivendell.example:6443');
  });

  test('an error about an unreachable server names it without the password', () => {
    const c = cluster('https://admin:PASS@127.0.0.1:1');
    const message = c.explain(
      Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      'list namespaces',
    ).message;
    expect(message).toBe('host cluster: cannot list namespaces at https://127.0.0.1:1: ECONNREFUSED');
    expect(message).not.toContain('PASS');
  });
});

describe('retryDelayMs', () => {
  // As kube-apiserver words it when the webhook's Service does not reach its Pod yet.
  const unreachable =
    'Internal error occurred: failed calling webhook "kubefedclusters.core.kubefed.io": failed to call webhook: ' +
    'Post "https://boromir-webhook.fed.svc:443/validate-kubefedcluster?timeout=10s": dial tcp 10.96.50.6:443: ' +
    'connect: connection refused';

  test('a server asking for time is called again after the delay it names, within bounds', () => {
    expect(retryDelayMs(429, { details: { retryAfterSeconds: 2 } })).toBe(2000);
    expect(retryDelayMs(503, undefined)).toBe(1000);
    expect(retryDelayMs(429, { details: { retryAfterSeconds: 0 } })).toBe(200);
    expect(retryDelayMs(503, { details: { retryAfterSeconds: 60 } })).toBe(5000);
  });

  test('an admission webhook the server could not call is tried again; one that denied, or any other error, is not', () => {
    expect(retryDelayMs(500, { message: unreachable })).toBe(1000);
    expect(retryDelayMs(500, { message: 'Internal error occurred: etcdserver: request timed out' })).toBeUndefined();
    expect(
      retryDelayMs(403, { message: 'admission webhook "kubefedclusters.core.kubefed.io" denied the request: bad' }),
    ).toBeUndefined();
    expect(retryDelayMs(409, { message: 'conflict' })).toBeUndefined();
    expect(retryDelayMs(500, undefined)).toBeUndefined();
  });
});
