// Access to the clusters testenv started for this run.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';

interface ReadyInfo {
  kubeconfig: string;
  auditDir: string;
  clusters: { name: string; context: string; server: string; auditLog: string }[];
}

export function testenv(): ReadyInfo {
  const state = process.env.KUBEFED_TESTENV_STATE;
  if (!state) throw new Error('KUBEFED_TESTENV_STATE is not set: run the tests through jest (global setup starts testenv)');
  return JSON.parse(readFileSync(join(state, 'ready.json'), 'utf8')) as ReadyInfo;
}

export function kubeconfigText(): string {
  return readFileSync(testenv().kubeconfig, 'utf8');
}

/** A client for one test cluster, by context name. */
export function clientFor(context: string): KubernetesObjectApi {
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  kc.setCurrentContext(context);
  return KubernetesObjectApi.makeApiClient(kc);
}

export async function exists(client: KubernetesObjectApi, apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> {
  try {
    await client.read({ apiVersion, kind, metadata: { name, namespace } });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}

/**
 * Counts the write requests (create, update, patch, delete) a user sent, as the API servers'
 * audit logs record them: every test cluster, and every federation API server testenv runs.
 */
export function auditMark(): () => { total: number; byLog: Record<string, number> } {
  const { auditDir } = testenv();
  const files = () => readdirLogs(auditDir);
  const sizes = new Map(files().map((f) => [f, readFileSync(f, 'utf8').length]));
  return () => {
    const byLog: Record<string, number> = {};
    let total = 0;
    for (const file of files()) {
      const added = readFileSync(file, 'utf8').slice(sizes.get(file) ?? 0);
      const writes = added
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { user: { username: string }; verb: string; stage: string })
        .filter((e) => e.stage === 'ResponseComplete' && ['kubernetes-admin', 'admin'].includes(e.user.username));
      if (writes.length) byLog[file.slice(auditDir.length + 1)] = writes.length;
      total += writes.length;
    }
    return { total, byLog };
  };
}

function readdirLogs(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => join(dir, f));
}
