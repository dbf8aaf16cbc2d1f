// Access to the clusters testenv started for this run.
import { KubeConfig, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestenvInfo, down, up } from '../../testenv/index.mjs';

export function testenv(): TestenvInfo {
  const state = process.env.KUBEFED_TESTENV_STATE;
  if (!state)
    throw new Error('KUBEFED_TESTENV_STATE is not set: run the tests through jest (global setup starts testenv)');
  return JSON.parse(readFileSync(join(state, 'ready.json'), 'utf8')) as TestenvInfo;
}

export function kubeconfigText(): string {
  return readFileSync(testenv().kubeconfig, 'utf8');
}

/**
 * More clusters, in a testenv of their own, so that a test can stop them without stopping the
 * shared ones. Stopped with the returned function (and when Jest exits).
 */
export function extraClusters(clusters: string): {
  kubeconfig: string;
  kubeconfigPath: string;
  info: TestenvInfo;
  stop: () => void;
} {
  const state = mkdtempSync(join(tmpdir(), 'kubefed-extra-'));
  const info = up({ clusters, state, watchPid: process.pid });
  return {
    kubeconfig: readFileSync(info.kubeconfig, 'utf8'),
    kubeconfigPath: info.kubeconfig,
    info,
    stop: () => down({ state }),
  };
}

/** The kubeconfig of the shared test clusters (or `kubeconfigPath`), with `context` current. */
export function kubeConfigFor(context: string, kubeconfigPath = testenv().kubeconfig): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
}

/** A client for one test cluster, by context name (of the shared clusters, or of `kubeconfigPath`). */
export function clientFor(context: string, kubeconfigPath = testenv().kubeconfig): KubernetesObjectApi {
  return objectClient(kubeConfigFor(context, kubeconfigPath));
}

/**
 * The tests' own client for a kubeconfig's current context. The official client opens a new
 * connection per request; one whose connection could not be made within undici's 10 s (seen
 * once on CI: one request to a federation API that answered the request before and the ones
 * after, cause not found) is made once more. Nothing was sent, so even a create is safe to
 * repeat, and what the tests check is what the action and KubeFed did, never this client.
 */
export function objectClient(kc: KubeConfig): KubernetesObjectApi {
  const api = KubernetesObjectApi.makeApiClient(kc);
  return new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (err) {
          if ((err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_CONNECT_TIMEOUT') throw err;
          return value.apply(target, args);
        }
      };
    },
  });
}

/** The object as the server has it (fields by path, as tests read them), or undefined when absent. */
export async function get(
  client: KubernetesObjectApi,
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk objects by path
): Promise<(KubernetesObject & Record<string, any>) | undefined> {
  try {
    return (await client.read({ apiVersion, kind, metadata: { name, namespace } })) as KubernetesObject &
      Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export async function exists(
  client: KubernetesObjectApi,
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): Promise<boolean> {
  return (await get(client, apiVersion, kind, name, namespace)) !== undefined;
}

/**
 * Counts the write requests (create, update, patch, delete) the action sent, as the API servers'
 * audit logs record them: every test cluster, and every federation API server testenv runs.
 */
const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export interface AuditEvent {
  user: { username: string };
  verb: string;
  stage: string;
  requestURI: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  /** RFC 3339 with microseconds, fixed width: compared as strings. */
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

/** A request the action sent as one of the users of the test clusters' kubeconfig. */
export const byAction = (e: AuditEvent): boolean => ['kubernetes-admin', 'admin'].includes(e.user.username);

/**
 * A write the action sent, as one line of an audit log records it. The action never writes a
 * status (the kubelet, load balancer and controllers do, as their own users).
 */
export const isActionWrite = (e: AuditEvent): boolean =>
  e.stage === 'ResponseComplete' && WRITES.has(e.verb) && byAction(e) && e.objectRef?.subresource !== 'status';

/** Counts what the API servers record from now on: the action's writes, or the requests `counted` picks. */
export function auditMark(
  counted: (e: AuditEvent) => boolean = isActionWrite,
): () => { total: number; byLog: Record<string, number> } {
  const { auditDir } = testenv();
  const files = () => readdirLogs(auditDir);
  // Up to the last whole line: an API server may be writing the next one.
  const wholeLines = (text: string) => text.slice(0, text.lastIndexOf('\n') + 1);
  const sizes = new Map(files().map((f) => [f, wholeLines(readFileSync(f, 'utf8')).length]));
  return () => {
    const byLog: Record<string, number> = {};
    let total = 0;
    for (const file of files()) {
      const added = wholeLines(readFileSync(file, 'utf8')).slice(sizes.get(file) ?? 0);
      const writes = added
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as AuditEvent)
        .filter(counted);
      if (writes.length) byLog[file.slice(auditDir.length + 1)] = writes.length;
      total += writes.length;
    }
    return { total, byLog };
  };
}

function readdirLogs(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => join(dir, f));
}

/**
 * Polls `probe` until `done` holds for its value (controllers act in their own time), and
 * returns that value; fails with the last value after `timeoutMs`.
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `not so after ${timeoutMs / 1000}s; last seen: ${JSON.stringify(value, null, 1)?.slice(0, 2000)}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
