// A resource of the federation API kept in a local cache (the client's informer), for the DNS
// controller: it lists, then watches, and when the list or the watch fails it starts again
// after a back-off that doubles up to a bound. A failure is said once for all the watches that
// fail alike (a server that is down fails them all the same way), and again only after they
// recovered. Each list has the request deadline of the Cluster; the client's watch has its own
// (no answer, or no event for 30 s, and it reconnects).
import { ApiException, KubernetesListObject, KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import type { KubeObject } from '../desired/objects.js';
import type { Log } from '../report/log.js';
import { FailureNotes, backoffMs } from '../wait/retry.js';
import type { Cluster } from './cluster.js';

export interface Resource {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  labelSelector?: string;
}

export interface WatchOptions {
  log: Log;
  /** Shared by the watches of one controller, so that one outage is said once. */
  notes: FailureNotes;
  retryMs: number;
  maxRetryMs: number;
}

export interface WatchedResource {
  plural: string;
  /** True once a list succeeded: until then the cache says nothing. */
  listed: boolean;
  list(): KubeObject[];
  /** Called on every change of the cache. */
  onChange: () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Why a list or watch failed, without what was asked: the same outage reads the same for every watch. */
export function failureReason(federation: Cluster, err: unknown): string {
  const status = (err as { statusCode?: number }).statusCode;
  if (!(err instanceof ApiException) && status) return `HTTP ${status}: ${(err as Error).message}`;
  return federation.explain(err, 'watch').message.replace(/^[^:]*: (cannot )?watch:? /, '');
}

export function watchResource(federation: Cluster, r: Resource, opts: WatchOptions): WatchedResource {
  const path = `/apis/${r.group}/${r.version}${r.namespace ? `/namespaces/${r.namespace}` : ''}/${r.plural}`;
  const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
    const request = { group: r.group, version: r.version, plural: r.plural, labelSelector: r.labelSelector };
    const result = r.namespace
      ? await federation.raw.listNamespacedCustomObject({ ...request, namespace: r.namespace })
      : await federation.raw.listClusterCustomObject(request);
    state.listed = true;
    connected();
    return result as KubernetesListObject<KubernetesObject>;
  };
  // The client's Watch, told apart: a watch that connected (no error before its request
  // settled) is a recovery, as is a list that answered.
  const client = new Watch(federation.config);
  const watcher = {
    watch: async (...args: Parameters<Watch['watch']>) => {
      let failed = false;
      const done = args[3];
      const request = await client.watch(args[0], args[1], args[2], (err) => {
        if (err) failed = true;
        done(err);
      });
      if (!failed) connected();
      return request;
    },
  } as Watch;
  const informer = new ListWatch<KubernetesObject>(path, watcher, list, false, r.labelSelector);
  let stopped = false;
  let attempts = 0;
  let timer: NodeJS.Timeout | undefined;
  const connected = () => {
    attempts = 0;
    if (opts.notes.recovered(r.plural)) opts.log.info(`watching ${r.plural} again`);
  };
  const failed = (err: unknown) => {
    if (stopped) return;
    attempts += 1;
    const reason = failureReason(federation, err);
    const delay = backoffMs(attempts, opts.retryMs, opts.maxRetryMs);
    if (opts.notes.failed(r.plural, reason))
      opts.log.warning(
        `cannot watch ${r.plural} in the federation API: ${reason}; ` +
          `retrying with back-off (up to ${opts.maxRetryMs / 1000}s), said once while it lasts`,
      );
    clearTimeout(timer);
    timer = setTimeout(() => void state.start(), delay);
  };
  const state: WatchedResource = {
    plural: r.plural,
    listed: false,
    list: () => informer.list() as KubeObject[],
    onChange: () => undefined,
    start: async () => {
      if (stopped) return;
      try {
        await informer.start();
      } catch (err) {
        failed(err);
      }
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
  informer.on('error', failed);
  informer.on('change', () => state.onChange());
  return state;
}
