// One run of the action, shared by the action and the CLI: observe → plan → apply → wait →
// report, phase by phase (the API server's address goes into its certificate, and the
// federation API can only be bootstrapped once it answers).
import { KubeConfig } from '@kubernetes/client-node';
import { applySteps } from './apply.js';
import { Cluster } from './cluster.js';
import { API_SERVER_PORT, addressObjects, federationKubeconfig, hostNames, hostObjects } from './controlplane.js';
import { FILES, ensureCredentials } from './credentials.js';
import { federationObjects } from './federation.js';
import { controlPlaneProblems, waitFor } from './health.js';
import type { Spec } from './inputs.js';
import { forContext } from './kubeconfig.js';
import type { Log } from './log.js';
import { KubeObject, Target, fromBase64, objectRef, targetName } from './objects.js';
import { Desired, Step, describeStep, planApply } from './plan.js';

export interface RunOptions {
  log: Log;
  /** Masks a credential in every later log line (core.setSecret in the action). */
  mask: (secret: string) => void;
  now?: Date;
}

export interface RunResult {
  /** Every change, applied (apply, destroy) or that would be applied (plan). */
  steps: Step[];
  changed: boolean;
  federationEndpoint?: string;
  federationContext: string;
  /** A kubeconfig (YAML) for the federation API with the admin certificate. */
  federationKubeconfig?: string;
  healthy: boolean;
  problems: string[];
  /** What was issued: certificates, keys, tokens. */
  issued: string[];
  joined: string[];
  unjoined: string[];
  /** Member name → API server URL. */
  clusterEndpoints: Record<string, string>;
  clusters: ClusterReport[];
}

export interface ClusterReport {
  name: string;
  role: 'host' | 'federation' | 'member';
  endpoint?: string;
  state: string;
}

export async function run(spec: Spec, kubeconfig: KubeConfig, opts: RunOptions): Promise<RunResult> {
  const { log } = opts;
  const writes = spec.mode === 'apply';
  // Membership is not converged yet: refuse what would otherwise be silently ignored.
  const unsupported = [
    ...(spec.clusters.length ? ['clusters (joining member clusters)'] : []),
    ...(spec.prune ? ['prune'] : []),
    ...(spec.mode === 'destroy' ? ['mode: destroy'] : []),
  ];
  if (unsupported.length) throw new Error(`not supported by this version yet: ${unsupported.join(', ')}; nothing was changed`);
  const host = new Cluster({ kind: 'host' }, `host cluster (context "${spec.hostContext}")`, forContext(kubeconfig, spec.hostContext));
  await host.ensureReachable();
  const steps: Step[] = [];

  /** Plans one phase against what the servers hold now, and applies it when writing. */
  const converge = async (desired: Desired[], clusterFor: (t: Target) => Cluster, reachable = true) => {
    const observed = new Map<string, KubeObject | undefined>();
    const key = (t: Target, o: KubeObject) => `${targetName(t)}|${o.apiVersion}|${objectRef(o)}`;
    if (reachable) {
      await Promise.all(desired.map(async ({ target, object }) => observed.set(key(target, object), await clusterFor(target).read(object))));
    }
    const phase = planApply(desired, (t, o) => observed.get(key(t, o)));
    steps.push(...phase);
    if (writes) await applySteps(phase, clusterFor, log);
    else phase.forEach((s) => log.info(`would ${describeStep(s)}`));
  };
  const onHost = (objects: KubeObject[]): Desired[] => objects.map((object) => ({ target: { kind: 'host' }, object }));

  let endGroup = log.group('Federation control plane on the host cluster');
  await converge(onHost(addressObjects(spec)), () => host);
  const address = await apiServerAddress(host, spec, writes ? spec.timeoutMs : 0, log);

  const n = hostNames(spec.federationName);
  const existing = await host.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: n.credentials, namespace: spec.namespace } });
  const existingFiles = Object.fromEntries(
    Object.entries((existing?.data as Record<string, string>) ?? {}).map(([k, v]) => [k, fromBase64(v) ?? '']),
  );
  const credentials = await ensureCredentials(existingFiles, {
    federationName: spec.federationName,
    sans: servingNames(spec, address?.host),
    tokenAuth: spec.apiServer.enableTokenAuth,
    basicAuth: spec.apiServer.enableBasicAuth,
    now: opts.now ?? new Date(),
  });
  for (const file of [FILES.caKey, FILES.serverKey, FILES.adminKey, FILES.controllerManagerKey, FILES.serviceAccountKey, FILES.tokens, FILES.basicAuth]) {
    if (credentials.files[file]) opts.mask(credentials.files[file]);
  }
  if (credentials.issued.length) log.info(`credentials: ${writes ? 'issued' : 'would issue'} ${credentials.issued.join('; ')}`);
  await converge(onHost(hostObjects({ spec, credentials: credentials.files, address: address?.host ?? '' })), () => host);
  endGroup();

  const result: RunResult = {
    steps,
    changed: writes && steps.length > 0,
    federationContext: spec.federationName,
    healthy: false,
    problems: [],
    issued: credentials.issued,
    joined: [],
    unjoined: [],
    clusterEndpoints: {},
    clusters: [{ name: 'host', role: 'host', endpoint: host.server, state: 'reachable' }],
  };
  if (!address) {
    result.problems.push('the federation API server has no address yet (the Service was not created)');
    return result;
  }
  result.federationEndpoint = `https://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  // A kubeconfig is only handed out for credentials the server really has.
  const kubeconfigYaml = federationKubeconfig({
    name: spec.federationName,
    server: result.federationEndpoint,
    caPem: credentials.files[FILES.caCert],
    certPem: credentials.files[FILES.adminCert],
    keyPem: credentials.files[FILES.adminKey],
  });
  if (writes || credentials.issued.length === 0) result.federationKubeconfig = kubeconfigYaml;
  const fedConfig = new KubeConfig();
  fedConfig.loadFromString(kubeconfigYaml);
  const federation = new Cluster({ kind: 'federation' }, `federation API (${result.federationEndpoint})`, fedConfig);

  endGroup = log.group('Federation API');
  if (writes) {
    await waitFor(`the federation API at ${result.federationEndpoint}`, spec.timeoutMs, log, async () => {
      const problems = await controlPlaneProblems(host, federation, spec);
      return problems.length ? problems.join('; ') : null;
    });
  }
  const federationUp = writes || (await federation.ready());
  await converge(federationObjects(spec).map((object) => ({ target: { kind: 'federation' }, object })), () => federation, federationUp);
  endGroup();

  result.changed = writes && steps.length > 0;
  result.problems = await controlPlaneProblems(host, federation, spec);
  result.healthy = result.problems.length === 0;
  result.clusters.push({ name: 'federation', role: 'federation', endpoint: result.federationEndpoint, state: federationUp ? 'ready' : 'not ready' });
  return result;
}

/** The DNS names and addresses the serving certificate must cover. */
export function servingNames(spec: Spec, address: string | undefined): string[] {
  const service = hostNames(spec.federationName).apiServer;
  const inCluster = [service, `${service}.${spec.namespace}`, `${service}.${spec.namespace}.svc`, `${service}.${spec.namespace}.svc.cluster.local`];
  return [...new Set([...inCluster, 'localhost', '127.0.0.1', ...(address ? [address] : [])])];
}

interface Address {
  host: string;
  port: number;
}

/**
 * Where clients reach the federation API: the advertise address if given, else the load
 * balancer's address (waited for, up to the timeout), else — for NodePort — a node's address.
 */
async function apiServerAddress(host: Cluster, spec: Spec, waitMs: number, log: Log): Promise<Address | undefined> {
  const ref = { apiVersion: 'v1', kind: 'Service', metadata: { name: hostNames(spec.federationName).apiServer, namespace: spec.namespace } };
  const lookup = async (): Promise<Address | undefined> => {
    const service = (await host.read(ref)) as { spec?: { ports?: { nodePort?: number }[] }; status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } } | undefined;
    if (!service) return undefined;
    if (spec.apiServer.serviceType === 'NodePort') {
      const nodePort = service.spec?.ports?.[0]?.nodePort;
      const nodeHost = spec.apiServer.advertiseAddress ?? (await nodeAddress(host));
      return nodePort && nodeHost ? { host: nodeHost, port: nodePort } : undefined;
    }
    const ingress = service.status?.loadBalancer?.ingress?.[0];
    const lbHost = spec.apiServer.advertiseAddress ?? ingress?.ip ?? ingress?.hostname;
    return lbHost ? { host: lbHost, port: API_SERVER_PORT } : undefined;
  };
  if (waitMs <= 0) return lookup();
  let found: Address | undefined;
  await waitFor(`an address for Service ${spec.namespace}/${ref.metadata.name}`, waitMs, log, async () => {
    found = await lookup();
    return found ? null : spec.apiServer.serviceType === 'NodePort' ? 'no node address (set api-server-advertise-address)' : 'load balancer pending';
  });
  return found;
}

async function nodeAddress(host: Cluster): Promise<string | undefined> {
  const nodes = await host.list('v1', 'Node', '');
  for (const type of ['ExternalIP', 'InternalIP']) {
    for (const node of nodes) {
      const addresses = ((node.status as { addresses?: { type: string; address: string }[] })?.addresses) ?? [];
      const match = addresses.find((a) => a.type === type);
      if (match) return match.address;
    }
  }
  return undefined;
}
