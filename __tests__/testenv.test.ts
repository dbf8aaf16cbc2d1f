// What testenv plays of a cloud, on one API server with no node:
// - its load balancer gives each LoadBalancer Service an address of its own, and a Service made
//   again (as KubeFed re-creates a member's) a new one, as a cloud's new load balancer would;
// - testenv down leaves no volume behind (the disk of a CI machine is finite): the hostPath
//   provisioner's directories outlive the API server that asked for them, and a test run makes
//   dozens of etcd claims, so testenv removes its clusters' volumes, and etcd's data, when it stops.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestenvInfo, down, up } from '../testenv/index.mjs';
import { eventually } from './helpers/testenv.js';

const state = mkdtempSync(join(tmpdir(), 'kubefed-testenv-'));
let info: TestenvInfo;
let stopped = false;

// One API server with no node of its own (two contexts): the provisioner needs none, and the
// test needs no images imported.
beforeAll(() => {
  info = up({ clusters: 'attic=attic-a+attic-b', state, watchPid: process.pid });
}, 600_000);
afterAll(() => {
  if (!stopped) down({ state });
  rmSync(state, { recursive: true, force: true });
});

function attic(): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  kc.setCurrentContext('attic-a');
  return kc.makeApiClient(CoreV1Api);
}

const found = <T>(value: T | undefined) => value !== undefined;

async function loadBalancerAddress(core: CoreV1Api, name: string): Promise<string> {
  const address = async () =>
    (await core.readNamespacedService({ name, namespace: 'default' })).status?.loadBalancer?.ingress?.[0]?.ip;
  return (await eventually(address, found, 30_000, 100)) as string;
}

async function boundVolumePath(core: CoreV1Api, claim: string): Promise<string> {
  const path = async () => {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace: 'default' });
    if (!pvc.spec?.volumeName) return undefined;
    return (await core.readPersistentVolume({ name: pvc.spec.volumeName })).spec?.hostPath?.path;
  };
  return (await eventually(path, found, 30_000, 100)) as string;
}

describe('testenv load balancer', () => {
  test('gives a Service made again a new address, as a new load balancer in a cloud', async () => {
    const core = attic();
    const body = { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } };
    const other = { ...body, metadata: { name: 'other' } };
    await core.createNamespacedService({ namespace: 'default', body });
    await core.createNamespacedService({ namespace: 'default', body: other });
    const [first, second] = [await loadBalancerAddress(core, 'web'), await loadBalancerAddress(core, 'other')];
    expect(first).toMatch(/^172\.31\.\d+\.\d+$/);
    expect(second).not.toBe(first);

    await core.deleteNamespacedService({ name: 'web', namespace: 'default' });
    await core.createNamespacedService({ namespace: 'default', body });
    const again = await loadBalancerAddress(core, 'web');
    expect([first, second]).not.toContain(again);
  });
});

describe('testenv down', () => {
  test('removes the volumes its provisioner made, and etcd’s data; the logs stay', async () => {
    const core = attic();
    await core.createNamespacedPersistentVolumeClaim({
      namespace: 'default',
      body: {
        metadata: { name: 'etcd-data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    });
    const volume = await boundVolumePath(core, 'etcd-data');
    expect(volume).toMatch(/^\/tmp\/hostpath_pv\//);
    expect(existsSync(volume)).toBe(true);
    expect(existsSync(join(state, 'etcd'))).toBe(true);

    down({ state });
    stopped = true;
    expect(existsSync(volume)).toBe(false);
    expect(existsSync(join(state, 'etcd'))).toBe(false);
    expect(existsSync(join(state, 'etcd.log'))).toBe(true);
  });
});
