// What a Cluster says of itself in messages: never a password its server URL holds.
import { describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { Cluster } from '../src/observe/cluster.js';

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
