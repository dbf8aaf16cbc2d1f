// The DNS controller (`kubefed dns-controller`): a long-running loop that keeps one DNSEndpoint
// per federated Service in the federation API, from what it watches there: federated Services,
// their status as KubeFed collects it from the members (FederatedServiceStatus), and the
// members' health (KubeFedCluster). external-dns publishes the DNSEndpoints. The records are
// computed in desired/dns-records.ts, written by apply/dns-endpoints.ts; what the controller
// could not do (writes that keep failing, members and addresses left out, watches that fail)
// is in its log and in its status ConfigMap (desired/dns-status.ts).
import { FEDERATED_GROUP, FEDERATED_VERSION } from '../desired/federated-types.js';
import { KUBEFED_ALPHA, KUBEFED_GROUP, KUBEFED_VERSION } from '../desired/kubefed-crds.js';
import type { Log } from '../report/log.js';
import {
  DNS_ENDPOINT_GROUP,
  DNS_ENDPOINT_VERSION,
  DnsView,
  EndpointChange,
  desiredEndpoints,
  endpointChanges,
} from '../desired/dns-records.js';
import { dnsStatusConfigMap } from '../desired/dns-status.js';
import { KubeObject, canonicalJson, ownedBySelector } from '../desired/objects.js';
import { applyEndpointChange, writeDnsStatus } from '../apply/dns-endpoints.js';
import { Cluster, ClusterError, REQUEST_TIMEOUT_MS } from '../observe/cluster.js';
import { watchResource } from '../observe/watch.js';
import { debounce } from '../wait/debounce.js';
import { FailureNotes, RetryBook } from '../wait/retry.js';

export interface DnsControllerOptions {
  kubeconfig: Cluster['config'];
  federation: string;
  /** KubeFed's namespace, where the KubeFedClusters are (and the controller's status). */
  namespace: string;
  zone: string;
  log: Log;
  /** A full pass this often, whatever the watches said. */
  resyncMs?: number;
  /** The first wait before retrying a failed watch or write; it doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** The deadline of each list and write. */
  requestTimeoutMs?: number;
  /** A pass starts after this long without a change, and at most maxDelayMs after the first change. */
  quietMs?: number;
  maxDelayMs?: number;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

/** Resolves when `signal` aborts, at once when it already has (a listener would never run). */
function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted
    ? Promise.resolve()
    : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Runs until `signal` aborts, including while it is still starting. */
export async function runDnsController(opts: DnsControllerOptions, signal: AbortSignal): Promise<void> {
  const { log } = opts;
  const timeout = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const federation = new Cluster({ kind: 'federation' }, 'federation API', opts.kubeconfig, timeout);
  const notes = new FailureNotes();
  const retry = { retryMs: opts.retryMs ?? 1_000, maxRetryMs: opts.maxRetryMs ?? 60_000 };
  const book = new RetryBook(retry.retryMs, retry.maxRetryMs);
  const watchOpts = { log, notes, ...retry };
  const watched = {
    services: { group: FEDERATED_GROUP, version: FEDERATED_VERSION, plural: 'federatedservices' },
    statuses: { group: KUBEFED_GROUP, version: KUBEFED_ALPHA, plural: 'federatedservicestatuses' },
    clusters: { group: KUBEFED_GROUP, version: KUBEFED_VERSION, plural: 'kubefedclusters', namespace: opts.namespace },
    endpoints: {
      group: DNS_ENDPOINT_GROUP,
      version: DNS_ENDPOINT_VERSION,
      plural: 'dnsendpoints',
      labelSelector: ownedBySelector(opts.federation),
    },
  };
  const [services, statuses, clusters, endpoints] = Object.values(watched).map((r) =>
    watchResource(federation, r, watchOpts),
  );
  const all = [services, statuses, clusters, endpoints];

  // What this controller wrote and its cache has not seen yet: a pass started before the
  // watch caught up must not create or replace it again.
  const written = new Map<string, { before?: string; now: KubeObject | undefined }>();
  const currentEndpoints = (): KubeObject[] => {
    const listed = new Map(endpoints.list().map((o) => [keyOf(o), o]));
    for (const [key, w] of written) {
      if (listed.get(key)?.metadata.resourceVersion !== w.before) written.delete(key);
      else if (w.now) listed.set(key, w.now);
      else listed.delete(key);
    }
    return [...listed.values()];
  };

  let leftOutSaid = new Set<string>();
  let statusWritten = '';
  const sayLeftOut = (leftOut: string[]) => {
    for (const line of leftOut) if (!leftOutSaid.has(line)) log.warning(`DNS records: ${line}`);
    for (const line of leftOutSaid) if (!leftOut.includes(line)) log.info(`DNS records: no longer so: ${line}`);
    leftOutSaid = new Set(leftOut);
  };
  const publishStatus = async (wanted: number, leftOut: string[]) => {
    const status = dnsStatusConfigMap(opts.federation, opts.namespace, {
      endpoints: wanted,
      failedWrites: book.entries(),
      leftOut,
      watchFailures: notes
        .current()
        .map((n) => ({ ...n, sources: n.sources.filter((s) => s !== 'status') }))
        .filter((n) => n.sources.length),
    });
    const text = canonicalJson(status);
    if (text === statusWritten) return;
    try {
      await writeDnsStatus(federation, status);
      statusWritten = text;
      if (notes.recovered('status')) log.info('the status ConfigMap is written again');
    } catch (err) {
      if (notes.failed('status', (err as Error).message))
        log.warning(`${(err as Error).message}; retried at the next pass`);
    }
  };

  const write = async (change: EndpointChange) => {
    const key = keyOf(change.object);
    if (!book.due(key, Date.now())) return;
    const before = endpoints.list().find((o) => keyOf(o) === key)?.metadata.resourceVersion as string | undefined;
    try {
      written.set(key, { before, now: await applyEndpointChange(federation, change, log) });
      const failedBefore = book.succeeded(key);
      if (failedBefore) log.info(`DNSEndpoint ${key} written after ${failedBefore} failed attempt(s)`);
    } catch (err) {
      // Already gone is what a delete wanted.
      if (change.action === 'delete' && (err as ClusterError).status === 404) return void book.succeeded(key);
      const failure = book.failed(key, (err as Error).message, Date.now());
      const wait = Math.round((failure.notBefore - Date.now()) / 1000);
      log.warning(`${failure.error} (attempt ${failure.attempts}); retrying in ${wait}s, the other DNSEndpoints go on`);
    }
  };

  let retryTimer: NodeJS.Timeout | undefined;
  const pass = async () => {
    const view: DnsView = {
      federation: opts.federation,
      zone: opts.zone,
      services: services.list(),
      statuses: statuses.list() as DnsView['statuses'],
      clusters: clusters.list() as DnsView['clusters'],
    };
    const leftOut: string[] = [];
    const desired = desiredEndpoints(view, leftOut);
    sayLeftOut(leftOut);
    const changes = endpointChanges(desired, currentEndpoints());
    book.keepOnly(new Set(changes.map((c) => keyOf(c.object))));
    // Each change stands alone: one refused (a same-named DNSEndpoint this controller does not
    // own, a quota, an admission webhook) is retried on its own while the others are written.
    for (const change of changes) if (!signal.aborted) await write(change);
    clearTimeout(retryTimer);
    const due = book.nextDue();
    if (due !== undefined) retryTimer = setTimeout(() => schedule(), Math.max(0, due - Date.now()));
    await publishStatus(desired.size, leftOut);
  };

  let running: Promise<void> | undefined;
  let again = false;
  const reconcile = async (): Promise<void> => {
    // Nothing is decided on a partial view: with an empty cache every record would look stale.
    if (signal.aborted || !all.every((w) => w.listed)) return;
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => (running = undefined));
    await running;
    if (again) {
      again = false;
      await reconcile();
    }
  };
  // A burst of events (a Service on five members) makes one pass, not five; a steady stream
  // of them still gets a pass at least every maxDelayMs.
  const schedule = debounce(() => void reconcile(), opts.quietMs ?? 100, opts.maxDelayMs ?? 1_000);
  for (const w of all) w.onChange = schedule;

  log.info(
    `DNS controller for federation ${opts.federation}, zone ${opts.zone}: ` +
      'watching federated Services, their status and the members',
  );
  await Promise.race([Promise.all(all.map((w) => w.start())), aborted(signal)]);
  // The full pass also applies the status again (a no-op unless someone changed or deleted it).
  const resync = setInterval(() => {
    statusWritten = '';
    schedule();
  }, opts.resyncMs ?? 60_000);
  await aborted(signal);
  clearInterval(resync);
  clearTimeout(retryTimer);
  schedule.cancel();
  await Promise.all(all.map((w) => w.stop()));
  await running;
}
