// Faults none of the anchors survive, end to end and bounded, on testenv's own addresses only: the action
// killed with SIGKILL at 20 points of a first apply, a member cut off between its reachability
// check and its writes, and the federation API server restarted mid-run. Each time, a re-run
// converges: one CA, nothing orphaned in any member, every member joined and Ready.
import { describe, expect, test } from '@jest/globals';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AddressInfo, Server, Socket, createServer, connect } from 'node:net';
import { runAction, runActionAsync, startAction } from './helpers/action.js';
import {
  type AuditEvent,
  auditMark,
  clientFor,
  eventually,
  get,
  isActionWrite,
  kubeconfigText,
  testenv,
} from './helpers/testenv.js';

const FEDERATION = 'boromir';
const GONDOR = '- name: gondor\n  context: gondor_needs-no_king\n';
const NOLDOR = '- name: noldor\n';
const inputs = (namespace: string, extra: Record<string, string> = {}) => ({
  kubeconfig: kubeconfigText(),
  'federation-name': FEDERATION,
  'host-cluster-context': 'rivendell',
  'federation-system-namespace': namespace,
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
  // testenv's DNS etcd: external-dns must reach one, or it crash-loops and DNS is not available.
  'dns-provider-config': `[Global]\netcd-endpoints = ${testenv().etcd}\nzones = example.com.`,
  'etcd-persistent-storage': 'false',
  clusters: GONDOR + NOLDOR,
  timeout: '120s',
  ...extra,
});
const members = { gondor: () => clientFor('gondor_needs-no_king'), noldor: () => clientFor('noldor') };
const POINTS = 20;
/** Each kill point is a first apply and its re-run (about half a minute on 2 cores). */
const SIGKILL_TEST_MS = POINTS * 90_000;
const FAULT_TEST_MS = 300_000;

/** What the federation owns in a member, by kind and name. */
async function owned(client: KubernetesObjectApi): Promise<string[]> {
  const kinds: [string, string][] = [
    ['v1', 'ServiceAccount'],
    ['v1', 'Secret'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ];
  const found: string[] = [];
  for (const [apiVersion, kind] of kinds) {
    const list = await client.list(
      apiVersion,
      kind,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      `kubefed-action.io/federation=${FEDERATION}`,
    );
    found.push(...list.items.map((o) => `${kind} ${o.metadata?.name}`));
  }
  return found.sort();
}

const expected = (cluster: string) => [
  `ClusterRole kubefed-action:${FEDERATION}:${cluster}`,
  `ClusterRoleBinding kubefed-action:${FEDERATION}:${cluster}`,
  `Secret kubefed.${FEDERATION}.${cluster}.token`,
  `ServiceAccount kubefed.${FEDERATION}.${cluster}`,
];

/** A converged federation: healthy, both members joined, one CA, nothing orphaned. */
async function expectConverged(namespace: string, run: ReturnType<typeof runAction>) {
  expect(run.shown.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([]);
  expect(run.status).toBe(0);
  expect(run.outputs.healthy).toBe('true');
  expect(JSON.parse(run.outputs['joined-clusters'])).toEqual(['gondor', 'noldor']);
  const secret = await get(clientFor('rivendell'), 'v1', 'Secret', `${FEDERATION}-apiserver-credentials`, namespace);
  const kubeconfigCa = /certificate-authority-data: (\S+)/.exec(readFileSync(run.outputs.kubeconfig, 'utf8'))?.[1];
  expect(kubeconfigCa).toBe(secret?.data?.['ca.crt']);
  expect(await owned(members.gondor())).toEqual(expected('gondor'));
  expect(await owned(members.noldor())).toEqual(expected('noldor'));
}

describe('faults', () => {
  test(
    'SIGKILL at 20 points of a first apply: each re-run converges, with one CA and nothing orphaned',
    async () => {
      // How many writes a whole first apply sends: the kill points are spread over them.
      const mark = auditMark();
      const reference = runAction(inputs('fed-fault-ref'));
      expect(reference.status).toBe(0);
      const total = mark().total;
      expect(total).toBeGreaterThan(40);
      expect(runAction(inputs('fed-fault-ref', { mode: 'destroy', wait: 'false' })).status).toBe(0);

      for (let i = 0; i < POINTS; i++) {
        const namespace = `fed-fault-${i}`;
        // Spread over the first nine tenths: the count of a run's last writes may vary a little.
        const killAt = Math.round(1 + (i * 0.9 * (total - 1)) / (POINTS - 1));
        const writes = auditMark();
        const started = startAction(inputs(namespace));
        await eventually(
          () => writes().total,
          (n) => n >= killAt || started.child.exitCode !== null,
          120_000,
          50,
        );
        started.child.kill('SIGKILL');
        const killed = await started.done;
        expect({ point: i, writes: killAt, signal: killed.signal ?? `exit ${killed.status}` }).toEqual({
          point: i,
          writes: killAt,
          signal: 'SIGKILL',
        });

        let destroyed = false;
        try {
          await expectConverged(namespace, runAction(inputs(namespace)));
          expect(runAction(inputs(namespace, { mode: 'destroy', wait: 'false' })).status).toBe(0);
          destroyed = true;
        } finally {
          // A point that failed leaves no member objects behind: the tests after this one join
          // the same federation name, whose member objects it would find as theirs.
          if (!destroyed) runAction(inputs(namespace, { mode: 'destroy', wait: 'false', force: 'true' }));
        }
      }
    },
    SIGKILL_TEST_MS,
  );

  test(
    'a member cut off between its reachability check and its writes: the others join, the step fails naming it, a re-run heals it',
    async () => {
      const noldor = new URL(testenv().clusters.find((c) => c.name === 'noldor')?.server as string);
      // On noldor's own address (testenv's bridge), which KubeFed reaches from its Pod on the node
      // as it reaches noldor (a Pod has a loopback of its own).
      const proxy = new Proxy(noldor.hostname, Number(noldor.port));
      const port = await proxy.listen();
      try {
        const kubeconfig = kubeconfigText().replace(noldor.origin, `https://${noldor.hostname}:${port}`);
        // The member answers the reachability check; it goes away as the action's first write
        // reaches it (its audit log says so; the proxy holds each answer 1 s, so that no write
        // can be answered before it is cut).
        proxy.delayMs = 1000;
        const writing = firstWriteTo('noldor');
        const started = startAction({ ...inputs('fed-fault-cut'), kubeconfig });
        void writing.then(
          () => proxy.close(),
          () => undefined,
        );
        const cut = await started.done;
        expect(proxy.closed).toBe(true);
        expect(cut.status).toBe(1);
        expect(JSON.parse(cut.outputs['joined-clusters'])).toEqual(['gondor']);
        expect(cut.log).toMatch(
          new RegExp(
            `::error::cluster "noldor" \\(context "noldor"\\): [^\\n]*${noldor.hostname.replaceAll('.', '\\.')}:${port}`,
          ),
        );

        // (In a process of its own: this one serves the proxy.)
        proxy.delayMs = 0;
        await proxy.listen(port);
        const healed = await runActionAsync({ ...inputs('fed-fault-cut'), kubeconfig });
        expect(healed.status).toBe(0);
        expect(healed.outputs.healthy).toBe('true');
        expect(JSON.parse(healed.outputs['joined-clusters'])).toEqual(['gondor', 'noldor']);
        expect(await owned(members.noldor())).toEqual(expected('noldor'));
        expect(
          (await runActionAsync({ ...inputs('fed-fault-cut'), kubeconfig, mode: 'destroy', wait: 'false' })).status,
        ).toBe(0);
      } finally {
        proxy.close();
      }
    },
    FAULT_TEST_MS,
  );

  test(
    'the federation API server restarted mid-run: the re-run finishes',
    async () => {
      const namespace = 'fed-fault-restart';
      const host = clientFor('rivendell');
      const writes = auditMark();
      const started = startAction(inputs(namespace));
      // Once the action writes in the federation API, its server is replaced under it.
      await eventually(
        () => Object.keys(writes().byLog).some((log) => log.includes(`${namespace}_${FEDERATION}-apiserver`)),
        Boolean,
        120_000,
        50,
      );
      const pods = await host.list(
        'v1',
        'Pod',
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        'module=federation-apiserver',
      );
      for (const pod of pods.items)
        await host.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata?.name, namespace } });
      await started.done;
      await expectConverged(namespace, runAction(inputs(namespace)));
      expect(runAction(inputs(namespace, { mode: 'destroy', wait: 'false' })).status).toBe(0);
    },
    FAULT_TEST_MS,
  );
});

/**
 * A TCP proxy to a member's API server on its address, which a test can slow down, close (every
 * connection dropped, nothing listening: the member is gone) and open again on the same port.
 */
/**
 * Resolves once the action's first write reaches `cluster`'s API server, as its audit log
 * records it: a member's writes go out beside the control plane's work, and their lines in the
 * action's log are held until the members' section, long after.
 */
function firstWriteTo(cluster: string): Promise<boolean> {
  const file = join(testenv().auditDir, `${cluster}.log`);
  const from = statSync(file).size;
  const written = () => {
    const fd = openSync(file, 'r');
    try {
      const added = Buffer.alloc(fstatSync(fd).size - from);
      readSync(fd, added, 0, added.length, from);
      return added
        .toString()
        .split('\n')
        .slice(0, -1) // the last line may still be being written
        .map((line) => JSON.parse(line) as AuditEvent)
        .some(isActionWrite);
    } finally {
      closeSync(fd);
    }
  };
  return eventually(written, Boolean, 120_000, 20);
}

class Proxy {
  closed = false;
  /** How long each answer is held before it is passed on. */
  delayMs = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly host: string,
    private readonly upstreamPort: number,
  ) {}

  async listen(port = 0): Promise<number> {
    this.closed = false;
    this.server = createServer((client) => {
      const upstream = connect(this.upstreamPort, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream);
      // Answers keep their order: timers of one delay fire in the order they were set.
      upstream.on('data', (chunk) =>
        this.delayMs ? setTimeout(() => client.write(chunk), this.delayMs) : client.write(chunk),
      );
    });
    this.server.listen(port, this.host);
    await new Promise((r) => this.server?.once('listening', r));
    return (this.server.address() as AddressInfo).port;
  }

  close(): void {
    this.closed = true;
    this.server?.close();
    for (const s of this.sockets) s.destroy();
  }
}
