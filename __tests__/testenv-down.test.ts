// testenv down leaves no volume behind (the disk of a CI machine is finite): the hostPath
// provisioner's directories outlive the API server that asked for them, and a test run makes
// dozens of etcd claims, so testenv removes its clusters' volumes, and etcd's data, when it stops.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestenvInfo, down, up } from '../testenv/index.mjs';

const state = mkdtempSync(join(tmpdir(), 'kubefed-down-'));
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

async function boundVolumePath(core: CoreV1Api, claim: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace: 'default' });
    if (pvc.spec?.volumeName) {
      const pv = await core.readPersistentVolume({ name: pvc.spec.volumeName });
      if (pv.spec?.hostPath?.path) return pv.spec.hostPath.path;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`claim ${claim} not bound after 30 s`);
}

describe('testenv down', () => {
  test('removes the volumes its provisioner made, and etcd’s data; the logs stay', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(info.kubeconfig);
    kc.setCurrentContext('attic-a');
    const core = kc.makeApiClient(CoreV1Api);
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
