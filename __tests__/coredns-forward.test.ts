// coredns-endpoints is checked as CoreDNS's forward plugin reads it: each value is tried on the
// real CoreDNS v1.12.4 (built by testenv) in a `forward` line, and the check must agree with
// it: what CoreDNS starts with is accepted, what it refuses is refused. The few values the
// check refuses although CoreDNS starts are listed apart, each with why (it starts, but the
// upstream can never be reached, or the value could break the Corefile the action writes).
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upstreamProblem } from '../src/inputs/dns-provider.js';
import { ensureBinaries } from '../testenv/index.mjs';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** Whether the real CoreDNS starts with `forward . <upstreams>`, and what it said when it did not. */
async function corednsTakes(...upstreams: string[]): Promise<{ starts: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kubefed-forward-'));
  const corefile = join(dir, 'Corefile');
  writeFileSync(corefile, `.:${await freePort()} {\n    bind 127.0.0.1\n    forward . ${upstreams.join(' ')}\n}\n`);
  const child = spawn(join(ensureBinaries(), 'coredns'), ['-conf', corefile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = once(child, 'exit').then(() => false);
  // CoreDNS prints its version once every server block is set up and listening.
  const started = new Promise<boolean>((resolve) => {
    const check = () => (/CoreDNS-1\.12\.4/.test(output) ? resolve(true) : undefined);
    child.stdout.on('data', check);
    child.stderr.on('data', check);
  });
  const starts = await Promise.race([started, exited, new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
  child.kill();
  return { starts, output };
}

const SAME = {
  accepted: [
    '10.0.0.53',
    '10.0.0.53:53',
    '10.0.0.53:65535',
    'dns://10.0.0.53:5353',
    'tls://10.0.0.53',
    'tls://[fd00::53]:853',
    'fd00::53',
    '[fd00::53]:53',
    'fe80::53%lo',
    '[fe80::53%lo]:53',
    '::ffff:10.0.0.53',
  ],
  refused: [
    'dns.example.com',
    'dns.example.com:53',
    '[fd00::53]',
    'https://10.0.0.53',
    'grpc://10.0.0.53',
    'quic://10.0.0.53',
    'unix:///run/dns.sock',
    'DNS://10.0.0.53',
    '010.0.0.53',
    'dns://',
  ],
};

/** Refused here although CoreDNS starts: forward checks no port, Go's dialer refuses it at the first query. */
const STRICTER = ['10.0.0.53:65536', '10.0.0.53:0', '10.0.0.53:dns', '10.0.0.53:', '/etc/resolv.conf', 'fe80::53%a}'];

describe("coredns-endpoints and CoreDNS's forward", () => {
  test('what the check accepts, CoreDNS starts with; what it refuses, CoreDNS refuses', async () => {
    for (const server of SAME.accepted) {
      expect([server, upstreamProblem(server)]).toEqual([server, undefined]);
      expect([server, (await corednsTakes(server)).starts]).toEqual([server, true]);
    }
    for (const server of SAME.refused) {
      expect([server, upstreamProblem(server)]).toEqual([server, expect.any(String)]);
      const coredns = await corednsTakes(server);
      expect([server, coredns.starts, coredns.output]).toEqual([server, false, expect.stringMatching(/forward/)]);
    }
  });

  test('15 upstreams are the most it takes', async () => {
    const upstreams = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}`);
    expect((await corednsTakes(...upstreams(15))).starts).toBe(true);
    expect((await corednsTakes(...upstreams(16))).output).toMatch(/more than 15 TOs configured: 16/);
  });

  test('values CoreDNS starts with but that can never work, or could break the Corefile, are refused all the same', async () => {
    for (const server of STRICTER) {
      expect([server, upstreamProblem(server)]).toEqual([server, expect.any(String)]);
      expect([server, (await corednsTakes(server)).starts]).toEqual([server, true]);
    }
  });
});
