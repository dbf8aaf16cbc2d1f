// Health's first look takes what the run already read, when it wrote nothing there since: the
// members' records (KubeFedClusters and their Secrets), the federated objects' delivery, the
// federation API's /readyz (issue 23: a 100-member no-op's last round trip, two lists of 100
// among it). Later looks, while waiting, read again. A federation API nothing answers at shows
// that nothing is asked of it.
import { describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { parseSpec } from '../src/inputs/spec.js';
import { Cluster } from '../src/observe/cluster.js';
import { MEMBER_RECORD_KINDS, SnapshotCluster } from '../src/observe/snapshot.js';
import { memberProblems } from '../src/wait/health.js';
import { controlPlaneHealth } from '../src/wait/control-plane.js';
import { federatedDelivery } from '../src/wait/propagation.js';
import type { ObjectDelivery } from '../src/wait/delivery.js';
import { memoryLog } from '../src/report/log.js';
import { kubeConfigFor } from './helpers/testenv.js';

const inputs: Record<string, string> = {
  'federation-name': 'fellowship',
  'host-cluster-context': 'rivendell',
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
};
const spec = parseSpec((n) => inputs[n] ?? '', { readFile: () => '' });

/** A federation API nothing answers at: any read of it fails. */
function gone(): Cluster {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return new Cluster({ kind: 'federation' }, 'federation API (gone)', config);
}

describe('memberProblems', () => {
  test('judges from the records it is given, without asking the federation for them again', async () => {
    // Real lists, of a namespace with no records: the member is not joined.
    const host = new Cluster({ kind: 'host' }, 'rivendell', kubeConfigFor('rivendell'));
    const records = SnapshotCluster.of(host, 'no-records-here', MEMBER_RECORD_KINDS);
    const judged = await memberProblems(gone(), spec, ['gondor'], 1, undefined, undefined, records);
    expect(judged.get('gondor')).toBe('not joined (no KubeFedCluster in the federation)');
  });

  test('without them, it lists them in the federation', async () => {
    await expect(memberProblems(gone(), spec, ['gondor'], 1)).rejects.toThrow(
      /federation API \(gone\): cannot list KubeFedCluster at https:\/\/127\.0\.0\.1:1/,
    );
  });
});

describe('federatedDelivery', () => {
  const delivered: ObjectDelivery = {
    object: 'FederatedConfigMap/shire/bag-end',
    judged: 'presence',
    clusters: { gondor: { status: 'OK', reason: 'present', delivered: true } },
    delivered: true,
  };
  const inputs = { kubefedNamespace: 'kube-federation-system', selection: {}, log: memoryLog(), timeoutMs: 1000 };

  test('takes the first look it is given', async () => {
    const delivery = await federatedDelivery({
      ...inputs,
      federation: gone(),
      wait: true,
      firstLook: Promise.resolve([delivered]),
    });
    expect(delivery).toEqual({ objects: [delivered], problems: [] });
  });

  test('without one, it reads the federation', async () => {
    await expect(federatedDelivery({ ...inputs, federation: gone(), wait: false })).rejects.toThrow(/127\.0\.0\.1:1/);
  });
});

describe('controlPlaneHealth', () => {
  const read = { deployments: new Map(), pods: [] };

  test("takes the federation API's /readyz the run saw answer", async () => {
    const health = await controlPlaneHealth(gone(), gone(), spec, { detailed: false, read, ready: true });
    expect(health.ready).toBe(true);
    expect(health.problems.some((p) => p.includes('/readyz'))).toBe(false);
  });

  test('without it, it asks', async () => {
    const health = await controlPlaneHealth(gone(), gone(), spec, { detailed: false, read });
    expect(health.ready).toBe(false);
    expect(health.problems).toContain('federation API https://127.0.0.1:1: /readyz is not ok');
  });
});
