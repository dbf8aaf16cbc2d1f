// A watch of one object (observe/object-watch.ts), as a member's first join waits for its token
// with one opened before the token Secret is written: against a real test API server.
import { describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../src/desired/objects.js';
import { Cluster } from '../src/observe/cluster.js';
import { watchObject } from '../src/observe/object-watch.js';
import { clientFor, kubeConfigFor } from './helpers/testenv.js';

/** What the tests look for: the ConfigMap's `token`, as a first join looks for its Secret's. */
const tokenOf = (cm: KubeObject) => (cm.data as Record<string, string> | undefined)?.token;
const CONFIGMAPS = '/api/v1/namespaces/default/configmaps';
const rivendell = () => new Cluster({ kind: 'host' }, 'rivendell', kubeConfigFor('rivendell'));
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}`;
const configMap = (name: string, data?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  ...(data ? { data } : {}),
});

describe('watchObject', () => {
  test('tells the first state that holds what it looks for: made after the watch opened, then changed', async () => {
    const name = unique('watched');
    const watch = watchObject(rivendell(), CONFIGMAPS, name, 30_000, tokenOf);
    const client = clientFor('rivendell');
    // As the token controller does: the object is made without it, and filled in by an update.
    await client.create(configMap(name));
    await new Promise((r) => setTimeout(r, 200));
    await client.replace(configMap(name, { token: 'filled-in' }));
    expect(await watch.found).toBe('filled-in');
  });

  test('tells an object that already holds it at once', async () => {
    const name = unique('present');
    await clientFor('rivendell').create(configMap(name, { token: 'there' }));
    const started = Date.now();
    expect(await watchObject(rivendell(), CONFIGMAPS, name, 30_000, tokenOf).found).toBe('there');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('ends with nothing, without rejecting, when the server refuses it or it times out', async () => {
    expect(await watchObject(rivendell(), '/api/v1/namespaces/default/nosuchthings', 'x', 30_000, () => 1).found).toBe(
      undefined,
    );
    const started = Date.now();
    const watch = watchObject(rivendell(), CONFIGMAPS, unique('never'), 1000, tokenOf);
    expect(await watch.found).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('over HTTP/1.1 too: through a plain-HTTP proxy in front of the server, as `kubectl proxy` is', async () => {
    const kc = kubeConfigFor('rivendell');
    const upstream = new URL(kc.getCurrentCluster()!.server);
    const user = kc.getCurrentUser()!;
    const decode = (b64?: string) => Buffer.from(b64 ?? '', 'base64');
    const tls = {
      ca: decode(kc.getCurrentCluster()!.caData),
      cert: decode(user.certData),
      key: decode(user.keyData),
    };
    // The proxy holds the credentials and passes requests and answers through as they come.
    const proxy = createServer((req, res) => {
      const out = httpsRequest(
        { ...tls, host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: {} },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
      res.on('close', () => out.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const config = new KubeConfig();
      config.loadFromOptions({
        // The official client takes a plain-HTTP server only with TLS verification off (there is none).
        clusters: [
          { name: 'p', server: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, skipTLSVerify: true },
        ],
        users: [{ name: 'p' }],
        contexts: [{ name: 'p', cluster: 'p', user: 'p' }],
        currentContext: 'p',
      });
      const name = unique('proxied');
      const watch = watchObject(new Cluster({ kind: 'host' }, 'proxied', config), CONFIGMAPS, name, 30_000, tokenOf);
      const client = clientFor('rivendell');
      await client.create(configMap(name));
      await client.replace(configMap(name, { token: 'through the proxy' }));
      expect(await watch.found).toBe('through the proxy');
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  test('stop ends it with nothing', async () => {
    const watch = watchObject(rivendell(), CONFIGMAPS, unique('stopped'), 30_000, tokenOf);
    setTimeout(() => watch.stop(), 300);
    expect(await watch.found).toBeUndefined();
  });
});
