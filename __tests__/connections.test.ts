// One kept-alive TLS connection per server and identity, shared by every client of a run (issue
// 23): across a real network a new connection costs two round trips (TCP, TLS) before the
// request's own. Counted at a pass-through TCP relay in front of a real test API server, which
// speaks HTTP/2 as every kube-apiserver does.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';
import { Cluster } from '../src/observe/cluster.js';
import { authenticateShared, preconnect } from '../src/observe/connections.js';
import { OPENED_AHEAD_FOR_MS } from '../src/observe/http2-origin.js';
import { auditMark, clientFor, kubeConfigFor, testenv } from './helpers/testenv.js';

let relay: Server;
let connections = 0;
let relayed = '';

beforeAll(async () => {
  const server = new URL(testenv().clusters.find((c) => c.context === 'rivendell')!.server);
  ({ server: relay, url: relayed } = await relayWith((client) => {
    connections++;
    pass(client, server);
  }));
});

/** Passes a client's bytes to `server` and back; the connection to `server` is returned. */
function pass(client: Socket, server: URL): Socket {
  const upstream = connect(Number(server.port), server.hostname);
  client.pipe(upstream).pipe(client);
  const close = () => [client, upstream].forEach((s) => s.destroy());
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  return upstream;
}
afterAll(() => {
  relay.close();
});

/**
 * A client of rivendell, through the relay, in a KubeConfig of its own (as each member gets).
 * `ca` gives it a pool of its own: the same CA, written to a file (the pool's key holds both).
 */
function throughRelay(label: string, ca: 'data' | 'file' | 'both' = 'data', server = relayed): Cluster {
  const kc = kubeConfigFor('rivendell');
  const cluster = kc.getCurrentCluster()!;
  const caFile = ca === 'data' ? undefined : join(mkdtempSync(join(tmpdir(), 'kubefed-connections-')), 'ca.crt');
  if (caFile) writeFileSync(caFile, Buffer.from(cluster.caData!, 'base64'));
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        ...cluster,
        server,
        caData: ca === 'file' ? undefined : cluster.caData,
        caFile,
      },
    ],
    users: [kc.getCurrentUser()!],
    contexts: [{ name: 'c', cluster: cluster.name, user: kc.getCurrentUser()!.name }],
    currentContext: 'c',
  });
  return new Cluster({ kind: 'host' }, label, config);
}

const DEFAULT_NAMESPACE = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } };

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
    // The pool's Agent is built from the client's options for it (createDispatcherOptions).
    const factory = d.config as unknown as { createDispatcherOptions: (...args: unknown[]) => unknown };
    const own = factory.createDispatcherOptions;
    let built = 0;
    factory.createDispatcherOptions = (...args: unknown[]) => {
      built++;
      return own.apply(d.config, args);
    };
    for (let i = 0; i < 5; i++) await d.ensureReachable();
    // The pool was made by the tests before, or by the first of these requests.
    expect(built).toBeLessThanOrEqual(1);
  });

  test("a user's certificate or token is applied once per kubeconfig, not decoded again for each request", async () => {
    const e = throughRelay('e');
    const config = e.config as unknown as { applySecurityAuthentication: (...args: unknown[]) => Promise<void> };
    const own = config.applySecurityAuthentication;
    let applied = 0;
    config.applySecurityAuthentication = (...args: unknown[]) => {
      applied++;
      return own.apply(e.config, args);
    };
    const reads = Array.from({ length: 5 }, () => e.read(DEFAULT_NAMESPACE));
    expect((await Promise.all(reads)).every((ns) => ns?.metadata.name === 'default')).toBe(true);
    await e.ensureReachable();
    expect(await e.ready()).toBe(true);
    expect(applied).toBe(1);
  });

  test('a user with no credentials of its own (no `user` body) is applied once, and its requests share a pool', async () => {
    const { server, caData } = kubeConfigFor('rivendell').getCurrentCluster()!;
    const config = new KubeConfig();
    config.loadFromString(
      [
        'apiVersion: v1',
        'clusters: [{name: c, cluster: {server: "' + server + '", certificate-authority-data: ' + caData + '}}]',
        'users: [{name: anonymous}]',
        'contexts: [{name: c, context: {cluster: c, user: anonymous}}]',
        'current-context: c',
      ].join('\n'),
    );
    const own = config.applySecurityAuthentication.bind(config);
    let applied = 0;
    config.applySecurityAuthentication = (context) => {
      applied++;
      return own(context);
    };
    const dispatchers = [];
    for (let i = 0; i < 2; i++) {
      const context = new RequestContext(`${server}/api`, HttpMethod.GET);
      await authenticateShared(config, context);
      dispatchers.push(context.getDispatcher());
    }
    expect(applied).toBe(1);
    expect(dispatchers[0]).toBeDefined();
    expect(dispatchers[1]).toBe(dispatchers[0]);
  });

  test("a credential plugin's user is applied for each request (its token may have been refreshed)", async () => {
    const config = new KubeConfig();
    const { server, caData } = kubeConfigFor('rivendell').getCurrentCluster()!;
    const credential = {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 't' },
    };
    config.loadFromOptions({
      clusters: [{ name: 'c', server, caData, skipTLSVerify: false }],
      users: [
        {
          name: 'u',
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: process.execPath,
            args: ['-e', `console.log(${JSON.stringify(JSON.stringify(credential))})`],
            interactiveMode: 'Never',
          },
        },
      ],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    const own = config.applySecurityAuthentication.bind(config);
    let applied = 0;
    config.applySecurityAuthentication = (context) => {
      applied++;
      return own(context);
    };
    for (let i = 0; i < 2; i++) {
      const context = new RequestContext(`${server}/api`, HttpMethod.GET);
      await authenticateShared(config, context);
      expect(context.getHeaders()['Authorization']).toBe('Bearer t');
    }
    expect(applied).toBe(2);
  });

  test("requests made together on a new connection all go out at once, without waiting for the server's SETTINGS", async () => {
    // Once the client has answered the server's TLS handshake (its Finished, with its first
    // HTTP/2 frames), the relay holds everything the server sends: its SETTINGS and its
    // answers. undici sends one request and holds the others until that SETTINGS frame
    // arrives, a round trip later.
    const held: Buffer[] = [];
    let release: (() => void) | undefined;
    const holding = await relayWith((client) => {
      let serverSpoke = false;
      let handshakeDone = false;
      client.on('data', () => (handshakeDone ||= serverSpoke));
      const upstream = connect(Number(new URL(relayed).port), '127.0.0.1');
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        serverSpoke = true;
        if (handshakeDone && release) held.push(chunk);
        else client.write(chunk);
      });
      release = () => {
        release = undefined;
        held.splice(0).forEach((chunk) => client.write(chunk));
      };
      const close = () => [client, upstream].forEach((s) => s.destroy());
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    try {
      const k = throughRelay('k', 'data', holding.url);
      const names = Array.from({ length: 5 }, (_, i) => `settings-hold-${process.pid}-${i}`);
      const received = auditMark((e) => names.includes(e.objectRef?.name ?? ''));
      const reads = names.map((name) =>
        k.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } }),
      );
      // All five reached the server (its audit log has them) while nothing of its came back.
      await waitFor(() => received().total === names.length);
      expect(held.length).toBeGreaterThan(0);
      release?.();
      expect(await Promise.all(reads)).toEqual(names.map(() => undefined));
    } finally {
      release?.();
      holding.server.close();
    }
  });

  test('a connection opened ahead (preconnect) is the one the first request uses', async () => {
    const e = throughRelay('e', 'file');
    const before = connections;
    await preconnect(e.config);
    // Opened before any request: the relay has it.
    await waitFor(() => connections - before === 1);
    // Once more changes nothing: the pool has its connection.
    await preconnect(e.config);
    for (let i = 0; i < 3; i++) expect(await e.read(DEFAULT_NAMESPACE)).toBeDefined();
    expect(connections - before).toBe(1);
  });

  test('a request made while the connection opened ahead is still opening waits for it', async () => {
    const f = throughRelay('f', 'both');
    const before = connections;
    await preconnect(f.config);
    const reads = await Promise.all(Array.from({ length: 3 }, () => f.read(DEFAULT_NAMESPACE)));
    expect(reads.every((ns) => ns !== undefined)).toBe(true);
    expect(connections - before).toBe(1);
  });

  test('a connection opened ahead that failed is opened again by the first request', async () => {
    // A relay that closes the first connection it is given, then passes the others through.
    let given = 0;
    const dropsFirst = await relayWith((client) => (given++ === 0 ? client.destroy() : pass(client, new URL(relayed))));
    try {
      const g = throughRelay('g', 'data', dropsFirst.url);
      await preconnect(g.config);
      await waitFor(() => given === 1);
      expect(await g.read(DEFAULT_NAMESPACE)).toBeDefined();
      expect(given).toBe(2);
    } finally {
      dropsFirst.server.close();
    }
  });

  test('a connection opened ahead that no request took in time is closed, and the first request opens another', async () => {
    let given = 0;
    const counting = await relayWith((client) => {
      given++;
      pass(client, new URL(relayed));
    });
    try {
      const h = throughRelay('h', 'data', counting.url);
      await preconnect(h.config);
      await waitFor(() => given === 1);
      // Before a kube-apiserver would close it (Go's HTTP/2 server: 10 s without a request).
      await new Promise((r) => setTimeout(r, OPENED_AHEAD_FOR_MS + 100));
      expect(await h.read(DEFAULT_NAMESPACE)).toBeDefined();
      expect(given).toBe(2);
    } finally {
      counting.server.close();
    }
  });

  test('a server on a port fetch refuses (a "bad port" of its standard: 6000, 10080) is reached', async () => {
    // The first of them free here: both are ones fetch never connects to.
    const relay =
      (await relayWith((client) => pass(client, new URL(relayed)), 6000).catch(() => undefined)) ??
      (await relayWith((client) => pass(client, new URL(relayed)), 10080));
    try {
      const i = throughRelay('i', 'data', relay.url);
      expect(await i.read(DEFAULT_NAMESPACE)).toBeDefined();
      expect(await i.ready()).toBe(true);
    } finally {
      relay.server.close();
    }
  });

  test('an answer the server compresses (over 128 KiB) comes back compressed, and whole', async () => {
    const value = 'the same line, again and again\n'.repeat(6000);
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'connections-compressed', namespace: 'default', labels: { test: 'connections-compressed' } },
      data: { value },
    };
    const writer = clientFor('rivendell');
    await writer.delete(configMap).catch(() => undefined);
    await writer.create(configMap);
    let received = 0;
    const counting = await relayWith((client) => {
      const upstream = pass(client, new URL(relayed));
      upstream.on('data', (chunk: Buffer) => (received += chunk.length));
    });
    try {
      const j = throughRelay('j', 'data', counting.url);
      const [listed] = await j.list('v1', 'ConfigMap', 'test=connections-compressed', 'default');
      expect((listed?.data as { value?: string } | undefined)?.value).toBe(value);
      // gzip: what came from the server is a fraction of the answer it holds.
      expect(received).toBeLessThan(value.length / 4);
    } finally {
      counting.server.close();
      await writer.delete(configMap);
    }
  });
});

/** A TCP server on 127.0.0.1 that hands each client to `onClient`. */
async function relayWith(onClient: (client: Socket) => void, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer(onClient);
  server.listen(port, '127.0.0.1');
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(done()).toBe(true);
}
