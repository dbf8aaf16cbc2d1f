// One kept-alive TLS connection per server and identity, shared by every client of a run (issue
// 23): across a real network a new connection costs two round trips (TCP, TLS) before the
// request's own. Counted at a pass-through TCP relay in front of a real test API server, which
// speaks HTTP/2 as every kube-apiserver does.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { once } from 'node:events';
import { AddressInfo, Server, connect, createServer } from 'node:net';
import { Cluster } from '../src/observe/cluster.js';
import { testenv } from './helpers/testenv.js';

let relay: Server;
let connections = 0;
let relayed = '';

beforeAll(async () => {
  const server = new URL(testenv().clusters.find((c) => c.context === 'rivendell')!.server);
  relay = createServer((client) => {
    connections++;
    const upstream = connect(Number(server.port), server.hostname);
    client.pipe(upstream).pipe(client);
    const close = () => [client, upstream].forEach((s) => s.destroy());
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  relayed = `https://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});
afterAll(() => {
  relay.close();
});

/** A client of rivendell, through the relay, in a KubeConfig of its own (as each member gets). */
function throughRelay(label: string): Cluster {
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  kc.setCurrentContext('rivendell');
  const cluster = kc.getCurrentCluster()!;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ ...cluster, server: relayed }],
    users: [kc.getCurrentUser()!],
    contexts: [{ name: 'c', cluster: cluster.name, user: kc.getCurrentUser()!.name }],
    currentContext: 'c',
  });
  return new Cluster({ kind: 'host' }, label, config);
}

describe('connections', () => {
  test('requests one after another, from two clients of the same server and user, share one connection', async () => {
    const [a, b] = [throughRelay('a'), throughRelay('b')];
    const before = connections;
    for (let i = 0; i < 3; i++) {
      expect(await a.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } })).toBeDefined();
      expect(await b.ready()).toBe(true);
      await b.ensureReachable();
    }
    expect(connections - before).toBe(1);
  });

  test('requests made together are streams of one connection (HTTP/2), not a connection each', async () => {
    const c = throughRelay('c');
    const before = connections;
    const reads = Array.from({ length: 10 }, () =>
      c.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }),
    );
    expect((await Promise.all(reads)).every((ns) => ns !== undefined)).toBe(true);
    // The first test's connection may still be open (then none is made) or may have gone idle.
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  test('a request on a pooled connection builds no dispatcher (an undici Agent) of its own', async () => {
    const d = throughRelay('d');
    const factory = d.config as unknown as { createDispatcher: (...args: unknown[]) => unknown };
    const own = factory.createDispatcher;
    let built = 0;
    factory.createDispatcher = (...args: unknown[]) => {
      built++;
      return own.apply(d.config, args);
    };
    for (let i = 0; i < 5; i++) await d.ensureReachable();
    // The pool was made by the tests before, or by the first of these requests.
    expect(built).toBeLessThanOrEqual(1);
  });
});
