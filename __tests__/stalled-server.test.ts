// A server that completes TLS and never answers, or an exec credential plugin that never ends,
// cannot hold the step: credentials and every request have a deadline. Runs the built
// dist/index.js (in a process of its own, while this one serves and stalls).
import { describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { AddressInfo } from 'node:net';
import { createServer } from 'node:tls';
import * as yaml from 'js-yaml';
import { runActionAsync } from './helpers/action.js';
import { FILES, ensureCredentials } from '../src/desired/credentials.js';

const inputs = (kubeconfig: string) => ({
  kubeconfig,
  'federation-name': 'stall',
  'host-cluster-context': 'stall',
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
  timeout: '10s',
});

function kubeconfig(server: string, user: object, caPem?: string): string {
  return yaml.dump({
    apiVersion: 'v1',
    clusters: [
      {
        name: 'stall',
        cluster: { server, ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : {}) },
      },
    ],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'stall', context: { cluster: 'stall', user: 'u' } }],
  });
}

describe('deadlines', () => {
  test('a server that completes TLS and never answers fails the step within the request deadline, naming the cluster', async () => {
    const { files } = await ensureCredentials(
      {},
      {
        federationName: 'stall',
        sans: ['127.0.0.1'],
        webhookSans: [],
        tokenAuth: false,
        basicAuth: false,
        now: new Date(),
      },
    );
    const held: unknown[] = [];
    const server = createServer({ cert: files[FILES.serverCert], key: files[FILES.serverKey] }, (socket) =>
      held.push(socket),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const started = Date.now();
    const run = await runActionAsync(
      inputs(kubeconfig(`https://127.0.0.1:${port}`, { token: 'stalled-token' }, files[FILES.caCert])),
    );
    server.close();
    expect(held.length).toBeGreaterThan(0);
    expect(run.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(run.log).toMatch(
      /::error::host cluster \(context "stall"\): cannot list namespaces at https:\/\/127\.0\.0\.1:\d+: .*no answer within 30s/,
    );
  });

  test('an exec credential plugin that never ends fails the step within the deadline', async () => {
    const started = Date.now();
    // The step ends at the deadline, not when the plugin does (it ends on its own later).
    const plugin = {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: 'sh',
        args: ['-c', 'sleep 90'],
        interactiveMode: 'Never',
      },
    };
    const run = await runActionAsync(inputs(kubeconfig('https://127.0.0.1:1', plugin)));
    expect(run.status).toBe(1);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(run.log).toMatch(
      /::error::host cluster \(context "stall"\): cannot list namespaces at https:\/\/127\.0\.0\.1:1: .*exec plugin\): no answer within 30s/,
    );
  });
});
