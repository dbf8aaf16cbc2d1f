// The DNS controller (`kubefed dns-controller`): a long-running loop in the controller manager's
// pod that keeps one DNSEndpoint per federated Service in the federation API, from what it
// watches there: federated Services, their status as KubeFed collects it from the members
// (FederatedServiceStatus), and the members' health (KubeFedCluster). external-dns publishes
// the DNSEndpoints. The records are computed in desired/dns-records.ts and written, and logged,
// by apply/dns-endpoints.ts.
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  makeInformer,
} from '@kubernetes/client-node';
import { FEDERATED_GROUP, FEDERATED_VERSION } from '../desired/federated-types.js';
import { KUBEFED_ALPHA, KUBEFED_GROUP, KUBEFED_VERSION } from '../desired/kubefed-crds.js';
import type { Log } from '../report/log.js';
import {
  DNS_ENDPOINT_GROUP,
  DNS_ENDPOINT_VERSION,
  DnsView,
  desiredEndpoints,
  endpointChanges,
} from '../desired/dns-records.js';
import { KubeObject, ownedBySelector } from '../desired/objects.js';
import { applyEndpointChange } from '../apply/dns-endpoints.js';

export interface DnsControllerOptions {
  kubeconfig: KubeConfig;
  federation: string;
  /** KubeFed's namespace, where the KubeFedClusters are. */
  namespace: string;
  zone: string;
  log: Log;
  /** A full pass this often, whatever the watches said. */
  resyncMs?: number;
  /** Wait before restarting a watch that failed. */
  retryMs?: number;
}

interface Resource {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  labelSelector?: string;
}

/** Runs until `signal` aborts. */
export async function runDnsController(opts: DnsControllerOptions, signal: AbortSignal): Promise<void> {
  const { kubeconfig, log } = opts;
  const api = kubeconfig.makeApiClient(CustomObjectsApi);
  const selector = ownedBySelector(opts.federation);
  const watched = {
    services: watch(opts, api, { group: FEDERATED_GROUP, version: FEDERATED_VERSION, plural: 'federatedservices' }),
    statuses: watch(opts, api, { group: KUBEFED_GROUP, version: KUBEFED_ALPHA, plural: 'federatedservicestatuses' }),
    clusters: watch(opts, api, {
      group: KUBEFED_GROUP,
      version: KUBEFED_VERSION,
      plural: 'kubefedclusters',
      namespace: opts.namespace,
    }),
    endpoints: watch(opts, api, {
      group: DNS_ENDPOINT_GROUP,
      version: DNS_ENDPOINT_VERSION,
      plural: 'dnsendpoints',
      labelSelector: selector,
    }),
  };
  const all = Object.values(watched);

  let running = false;
  let again = false;
  const reconcile = async (): Promise<void> => {
    // Nothing is decided on a partial view: with an empty cache every record would look stale.
    if (signal.aborted || !all.every((w) => w.listed)) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const view: DnsView = {
        federation: opts.federation,
        zone: opts.zone,
        services: watched.services.informer.list(),
        statuses: watched.statuses.informer.list() as DnsView['statuses'],
        clusters: watched.clusters.informer.list() as DnsView['clusters'],
      };
      const changes = endpointChanges(desiredEndpoints(view), watched.endpoints.informer.list() as KubeObject[]);
      for (const change of changes) await applyEndpointChange(api, change, log);
    } catch (err) {
      log.warning(
        `DNS records not brought up to date: ${(err as Error).message}; retrying at the next change or resync`,
      );
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      await reconcile();
    }
  };
  // A burst of events (a Service on five members) makes one pass, not five.
  let pending: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(pending);
    pending = setTimeout(() => void reconcile(), 100);
  };
  for (const w of all) w.onChange = schedule;

  log.info(
    `DNS controller for federation ${opts.federation}, zone ${opts.zone}: ` +
      'watching federated Services, their status and the members',
  );
  await Promise.all(all.map((w) => w.start()));
  const resync = setInterval(schedule, opts.resyncMs ?? 60_000);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  clearInterval(resync);
  clearTimeout(pending);
  await Promise.all(all.map((w) => w.stop()));
}

/**
 * An informer on one resource that restarts itself after a failed list or a dropped watch (it
 * lists again when its place in the watch is gone), and says when it has listed at least once.
 */
function watch(opts: DnsControllerOptions, api: CustomObjectsApi, r: Resource) {
  const path = `/apis/${r.group}/${r.version}${r.namespace ? `/namespaces/${r.namespace}` : ''}/${r.plural}`;
  const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
    const request = { group: r.group, version: r.version, plural: r.plural, labelSelector: r.labelSelector };
    const result = r.namespace
      ? await api.listNamespacedCustomObject({ ...request, namespace: r.namespace })
      : await api.listClusterCustomObject(request);
    state.listed = true;
    return result as KubernetesListObject<KubernetesObject>;
  };
  const informer = makeInformer<KubernetesObject>(opts.kubeconfig, path, list, r.labelSelector);
  let stopped = false;
  let lastError = '';
  const state = {
    informer: informer as unknown as { list(): KubeObject[]; start(): Promise<void>; stop(): Promise<void> },
    listed: false,
    onChange: () => undefined as void,
    start: async () => {
      try {
        await informer.start();
      } catch (err) {
        restart(err);
      }
    },
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
  const restart = (err: unknown) => {
    if (stopped) return;
    const message = (err as Error | undefined)?.message ?? String(err);
    // One line per distinct failure: a CRD not yet created would otherwise log every second.
    if (message !== lastError) opts.log.warning(`watch of ${r.plural} failed (${message}); retrying`);
    lastError = message;
    setTimeout(() => void state.start(), opts.retryMs ?? 2_000);
  };
  informer.on('error', restart);
  informer.on('connect', () => (lastError = ''));
  informer.on('change', () => state.onChange());
  return state;
}
