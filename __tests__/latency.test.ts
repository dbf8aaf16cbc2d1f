// testenv's latency injector (`testenv up --latency D`, issue 23): the benchmark's clusters are
// on loopback, users' are 20–150 ms away. Through the address testenv publishes, every byte pays
// D each way: a request on an open connection at least 2×D, a new connection's handshakes more.
// So does a connection from this machine to a load balancer (the federation's API server is
// reached through one), which a cloud's is as far away as its cluster.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestenvInfo, down, up } from '../testenv/index.mjs';

const DELAY_MS = 100;
const state = mkdtempSync(join(tmpdir(), 'kubefed-latency-'));
let info: TestenvInfo;

beforeAll(() => {
  info = up({ clusters: 'far', state, watchPid: process.pid, latency: `${DELAY_MS}ms` });
}, 600_000);
afterAll(() => {
  down({ state });
  rmSync(state, { recursive: true, force: true });
});

/** GET `path` through `agent` with the kubeconfig's credentials: the body and the milliseconds taken. */
function timedGet(kc: KubeConfig, agent: Agent, path: string): Promise<{ body: string; ms: number }> {
  const cluster = kc.getCurrentCluster()!;
  const user = kc.getCurrentUser()!;
  const decode = (b64?: string) => Buffer.from(b64 ?? '', 'base64');
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server}${path}`,
      { agent, ca: decode(cluster.caData), cert: decode(user.certData), key: decode(user.keyData) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ body, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** GET `url` (plain HTTP) through `agent`: the body and the milliseconds taken. */
function timedHttpGet(agent: HttpAgent, url: string): Promise<{ body: string; ms: number }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ body, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('testenv --latency', () => {
  test('a request through the published server address pays the delay each way', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(info.kubeconfig);
    expect(info.clusters[0].server).toBe(kc.getCurrentCluster()!.server);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // A new connection: the TCP handshake's round trip, TLS's, then the request's.
      const first = await timedGet(kc, agent, '/api/v1/namespaces/default');
      // The same connection again: the request's round trip alone.
      const again = await timedGet(kc, agent, '/api/v1/namespaces/default');
      // Bytes arrive whole and in order: the server's answer parses.
      expect(JSON.parse(again.body).metadata.name).toBe('default');
      expect(again.ms).toBeGreaterThanOrEqual(2 * DELAY_MS);
      expect(first.ms).toBeGreaterThanOrEqual(4 * DELAY_MS);
    } finally {
      agent.destroy();
    }
  });

  test('a connection from this machine to a LoadBalancer address pays the delay each way too', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(info.kubeconfig);
    const api = KubernetesObjectApi.makeApiClient(kc);
    // A load balancer in front of the cluster DNS's health port (CoreDNS answers "OK" on 8080).
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'far-health', namespace: 'kube-system' },
      spec: {
        type: 'LoadBalancer',
        selector: { 'k8s-app': 'kube-dns' },
        ports: [{ name: 'health', port: 8080, targetPort: 8080, protocol: 'TCP' }],
      },
    };
    await api.create(service);
    let url: string;
    const deadline = Date.now() + 60_000;
    // The address, then an answer through it once the node's kube-proxy serves it.
    for (;;) {
      const ip = ((await api.read(service)) as { status?: { loadBalancer?: { ingress?: { ip: string }[] } } }).status
        ?.loadBalancer?.ingress?.[0]?.ip;
      url = ip ? `http://${ip}:8080/health` : '';
      const answer = url ? await timedHttpGet(new HttpAgent(), url).catch(() => undefined) : undefined;
      if (answer?.body.trim() === 'OK') break;
      if (Date.now() > deadline)
        throw new Error(`no answer through the load balancer (${url || 'no address'}) in 60 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    try {
      // A new connection: nothing sent goes on before the TCP handshake's round trip, then the request's.
      const first = await timedHttpGet(agent, url);
      // The same connection again: the request's round trip alone.
      const again = await timedHttpGet(agent, url);
      expect(again.body.trim()).toBe('OK');
      expect(again.ms).toBeGreaterThanOrEqual(2 * DELAY_MS);
      expect(first.ms).toBeGreaterThanOrEqual(3 * DELAY_MS);
    } finally {
      agent.destroy();
    }
  });
});
