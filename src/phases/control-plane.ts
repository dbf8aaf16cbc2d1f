// `kubefed init` on the host: the control plane's namespace and Service first (the API server's
// address goes into its certificate), then its credentials, then everything else.
import { createIfAbsent } from '../apply/apply.js';
import {
  type ConvergeOptions,
  type Observation,
  converge,
  execute,
  observeAll,
  observedOf,
} from '../apply/converge.js';
import { addressObjects, credentialsSecret, hostNames, retiredHostObjects } from '../desired/control-plane.js';
import { FILES, SECRET_FILES, adminToken, ensureCredentials } from '../desired/credentials.js';
import { hostObjects } from '../desired/host-objects.js';
import {
  FIELD_MANAGER,
  KubeObject,
  MANAGED_BY_LABEL,
  base64,
  madeByThisFederation,
  withAppliedHash,
} from '../desired/objects.js';
import type { Spec } from '../inputs/spec.js';
import { type Cluster, hostCluster } from '../observe/cluster.js';
import { preconnect } from '../observe/connections.js';
import {
  apiServerAddress,
  apiServerServiceRef,
  connectFederation,
  credentialFiles,
  credentialsSecretRef,
  endpointUrl,
  readCredentialFiles,
} from '../observe/federation-api.js';
import { type Desired, type Step, planDelete } from '../plan/plan.js';
import { type ControlPlaneFirstReads, type Phase, hostOf } from './scope.js';
import { checkEtcdStorage } from './storage.js';
import { readControlPlane } from '../observe/pods.js';

const onHost = (objects: KubeObject[]): Desired[] => objects.map((object) => ({ target: { kind: 'host' }, object }));

export const convergeControlPlane: Phase = async (scope) => {
  const { spec, log, writes } = scope;
  const host = hostOf(scope);
  const endGroup = log.group('Federation control plane on the host cluster');
  // Everything the phase reads on the host goes out together (readControlPlaneAhead), one
  // round trip across the network; what it found serves each step below until the run writes
  // on the host.
  const [observation, controlPlane] = await (scope.controlPlaneAhead ?? firstReads(host, spec, writes));
  let observed: Observation | undefined = observation;
  const seen = (object: KubeObject) => observed && { found: observedOf(observed, onHost([object])[0]) };
  const applied = (steps: Step[]) => {
    if (writes && steps.length) observed = undefined;
    return steps;
  };
  const addressed = onHost(await ownAddressObjects(host, spec, seen(namespaceRef(spec))));
  scope.steps.push(...applied(await converge(addressed, () => host, { writes, log }, true, observed)));
  const waitMs = writes ? spec.timeoutMs : 0;
  const address = await apiServerAddress(host, spec, waitMs, log, seen(apiServerServiceRef(spec)));

  const issue = async (secret = seen(credentialsSecretRef(spec))) =>
    ensureCredentials(secret ? credentialFiles(secret.found) : await readCredentialFiles(host, spec), {
      federationName: spec.federationName,
      sans: servingNames(spec, address?.host),
      webhookSans: serviceNames(hostNames(spec.federationName).webhook, spec.namespace),
      tokenAuth: spec.apiServer.enableTokenAuth,
      basicAuth: spec.apiServer.enableBasicAuth,
      now: scope.now ?? new Date(),
    });
  let credentials = await issue();
  // Two first runs at once each issue a CA: the first to create the Secret wins, and the other
  // takes what it holds, so no run hands out a kubeconfig signed by a CA the server lacks.
  if (writes && credentials.issued.includes('CA')) {
    const secret = credentialsSecret({ spec, credentials: credentials.files, address: address?.host ?? '' });
    observed = undefined;
    if (await createIfAbsent(host, withAppliedHash(secret), log)) {
      scope.steps.push({ action: 'create', target: { kind: 'host' }, object: secret });
    } else credentials = await issue();
  }
  // As files, and as the base64 a kubeconfig holds them in (the kubeconfig output).
  for (const file of SECRET_FILES) {
    if (credentials.files[file]) [credentials.files[file], base64(credentials.files[file])].forEach(scope.mask);
  }
  const token = adminToken(credentials.files);
  if (token) scope.mask(token);
  if (credentials.issued.length)
    log.info(`credentials: ${writes ? 'issued' : 'would issue'} ${credentials.issued.join('; ')}`);
  // On a re-run (nothing issued: its server most likely runs) the federation API's connection
  // opens now, its TCP and TLS round trips beside the planning of the host's objects; a failed
  // one is opened again by its first request. A first run's server does not exist yet.
  const federation = address && connectFederation(spec, endpointUrl(address), credentials.files);
  if (federation && !credentials.issued.length) preconnect(federation.cluster.config).catch(() => undefined);
  const objects = hostObjects({ spec, credentials: credentials.files, address: address?.host ?? '' });
  scope.steps.push(...applied(await converge(onHost(objects), () => host, { writes, log }, true, observed)));
  scope.steps.push(...applied(await removeRetired(host, spec, { writes, log }, observed)));
  endGroup();

  // The Deployments and Pods as they were before the run, while it has not changed them: the
  // wait for the federation API starts from them instead of reading them again.
  if (observed) scope.controlPlaneRead = controlPlane;
  scope.issued = credentials.issued;
  scope.caPem = credentials.files[FILES.caCert];
  if (!federation) return;
  scope.federation = federation;
  scope.reportsFederation = true;
  scope.federationUp = writes || (await federation.cluster.ready());
  if (!writes) scope.federationReady = scope.federationUp;
  // A kubeconfig is only handed out for credentials the server really has.
  if (writes || credentials.issued.length === 0) scope.federationKubeconfig = federation.kubeconfig;
};

/**
 * Everything the phase reads before it plans: its objects on the host, the control plane's
 * Deployments and Pods (for the wait that follows a writing run, bootstrapFederationApi), and
 * whether the etcd claim can get a volume (an input error before anything is written).
 */
function firstReads(host: Cluster, spec: Spec, writes: boolean): Promise<ControlPlaneFirstReads> {
  return Promise.all([
    observeAll(onHost(controlPlaneRefs(spec)), () => host),
    writes ? readControlPlane(host, spec.namespace, spec.federationName) : undefined,
    checkEtcdStorage(host, spec),
  ]);
}

/**
 * The phase's first reads, started beside connectHost's probe of the host rather than after
 * it: the same round trip. connectHost still says first whether the host answers; a failure of
 * the reads themselves is convergeControlPlane's, which awaits them.
 */
export const readControlPlaneAhead: Phase = async (scope) => {
  const { spec, kubeconfig, writes } = scope;
  const reads = firstReads(hostCluster(kubeconfig, spec.hostContext), spec, writes);
  reads.catch(() => undefined); // reported where it is awaited
  scope.controlPlaneAhead = reads;
};

/**
 * What an older release made and nothing uses any more, once nothing refers to it (after the
 * Deployments are updated), and only where the object proves it is this federation's own.
 */
async function removeRetired(
  host: Cluster,
  spec: Spec,
  opts: ConvergeOptions,
  observation?: Observation,
): Promise<Step[]> {
  const retired = onHost(retiredHostObjects(spec));
  const observed = observation ?? (await observeAll(retired, () => host));
  const steps = planDelete(retired, (target, object) => {
    const current = observedOf(observed, { target, object });
    return current && madeByThisFederation(current, spec.federationName) ? current : undefined;
  });
  return execute(steps, () => host, opts);
}

/**
 * The namespace and Service; a namespace that existed before the action is used as it is,
 * never labelled as the action's (so destroy never deletes it, only the action's objects in it).
 */
async function ownAddressObjects(
  host: Cluster,
  spec: Spec,
  justRead?: { found: KubeObject | undefined },
): Promise<KubeObject[]> {
  const namespace = justRead ? justRead.found : await host.read(namespaceRef(spec));
  const ours = !namespace || namespace.metadata.labels?.[MANAGED_BY_LABEL] === FIELD_MANAGER;
  return addressObjects(spec).filter((o) => o.kind !== 'Namespace' || ours);
}

const namespaceRef = (spec: Spec): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: spec.namespace },
});

/**
 * What the phase may read on the host, by reference: the namespace, the API server's Service,
 * the credentials Secret, the rest of the control plane and what older releases made. The
 * control plane's objects are named by the spec alone, so no credentials are needed for this.
 */
function controlPlaneRefs(spec: Spec): KubeObject[] {
  const placeholders = { spec, credentials: Object.fromEntries(Object.values(FILES).map((f) => [f, ''])), address: '' };
  return [...addressObjects(spec), ...hostObjects(placeholders), ...retiredHostObjects(spec)];
}

/** The DNS names and addresses the serving certificate must cover. */
function servingNames(spec: Spec, address: string | undefined): string[] {
  const inCluster = serviceNames(hostNames(spec.federationName).apiServer, spec.namespace);
  return [...new Set([...inCluster, 'localhost', '127.0.0.1', ...(address ? [address] : [])])];
}

/** A Service's in-cluster DNS names. */
function serviceNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}
