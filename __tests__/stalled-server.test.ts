// A server that completes TLS and never answers cannot hold the step: every request has a
// deadline. Runs the built dist/index.js against a server on 127.0.0.1 that does just that.
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { createServer } from 'node:tls';
import * as yaml from 'js-yaml';
import { FILES, ensureCredentials } from '../src/credentials.js';

describe('a stalled API server', () => {
  test('fails the step within the request deadline, naming the cluster', async () => {
    const { files } = await ensureCredentials({}, { federationName: 'stall', sans: ['127.0.0.1'], webhookSans: [], tokenAuth: false, basicAuth: false, now: new Date() });
    const held: unknown[] = [];
    const server = createServer({ cert: files[FILES.serverCert], key: files[FILES.serverKey] }, (socket) => held.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const kubeconfig = yaml.dump({
      apiVersion: 'v1',
      clusters: [{ name: 'stall', cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority-data': Buffer.from(files[FILES.caCert]).toString('base64') } }],
      users: [{ name: 'u', user: { token: 'stalled-token' } }],
      contexts: [{ name: 'stall', context: { cluster: 'stall', user: 'u' } }],
    });
    // The action runs in its own process while this one serves (and stalls) its requests.
    const dir = mkdtempSync(join(tmpdir(), 'kubefed-stall-'));
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', RUNNER_TEMP: dir, GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary'), GITHUB_STATE: join(dir, 'state') };
    for (const file of ['output', 'summary', 'state']) writeFileSync(join(dir, file), '');
    const inputs = { kubeconfig, 'federation-name': 'stall', 'host-cluster-context': 'stall', 'dns-provider': 'coredns', 'dns-zone-name': 'example.com.', timeout: '10s' };
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
    const started = Date.now();
    const child = spawn(process.execPath, ['dist/index.js'], { env });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const [status] = (await once(child, 'exit')) as [number];
    server.close();
    expect(held.length).toBeGreaterThan(0);
    expect(status).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(log).toMatch(/::error::host cluster \(context "stall"\): cannot list namespaces at https:\/\/127\.0\.0\.1:\d+: .*no answer within 30s/);
  });
});
