// One run of the action, shared by the action and the CLI: observe → plan → apply → wait →
// report, phase by phase (the API server's address goes into its certificate, the federation
// API can only be bootstrapped once it answers, and members join once it is bootstrapped).
import type { KubeConfig } from '@kubernetes/client-node';
import { Cluster, hostCluster } from './cluster.js';
import { bootstrapFederation } from './bootstrap.js';
import { addressObjects, credentialsSecret, hostNames } from './controlplane.js';
import { createIfAbsent } from './apply.js';
import { hostObjects } from './host-objects.js';
import { converge } from './converge.js';
import { FILES, SECRET_FILES, adminToken, ensureCredentials } from './credentials.js';
import { destroy } from './destroy.js';
import { FederationApi, apiServerAddress, connectFederation, endpointUrl, readCredentialFiles } from './federation-api.js';
import { controlPlaneProblems, federationHealth, waitFor } from './health.js';
import { InputError, Spec } from './inputs.js';
import { MEMBER_CONCURRENCY, convergeMembership, serverOf } from './join.js';
import { contextProblems } from './kubeconfig.js';
import type { Log } from './log.js';
import { FIELD_MANAGER, KubeObject, MANAGED_BY_LABEL, base64, withAppliedHash } from './objects.js';
import type { Desired, Step } from './plan.js';
import { RunResult, clusterReport, membershipResult } from './result.js';

export type { ClusterReport, RunResult } from './result.js';

export interface RunOptions {
  log: Log;
  /** Masks a credential in every later log line (core.setSecret in the action). */
  mask: (secret: string) => void;
  now?: Date;
  /** Converge the control plane only and leave membership as it is (`kubefed init`). */
  controlPlaneOnly?: boolean;
}

export async function run(spec: Spec, kubeconfig: KubeConfig, opts: RunOptions): Promise<RunResult> {
  // Every context is checked before anything is read or written.
  const missing = contextProblems(kubeconfig, [
    { input: 'host-cluster-context', context: spec.hostContext },
    ...spec.clusters.map((c) => ({ input: `clusters: cluster "${c.name}"`, context: c.context })),
  ]);
  if (missing.length) throw new InputError(missing);
  const host = hostCluster(kubeconfig, spec.hostContext);
  await host.ensureReachable();
  if (spec.mode === 'destroy') return destroy(spec, kubeconfig, host, opts);
  const hostWarnings: string[] = [];
  if (host.config.getCurrentCluster()?.skipTLSVerify) {
    hostWarnings.push(`host cluster (context "${spec.hostContext}"): its kubeconfig context skips TLS verification (insecure-skip-tls-verify); the action cannot tell it is talking to the real host cluster`);
    opts.log.warning(hostWarnings[0]);
  }

  const writes = spec.mode === 'apply';
  const controlPlane = await convergeControlPlane(spec, host, writes, opts);
  const { federation, steps } = controlPlane;
  const federationUp = federation !== undefined && (writes || (await federation.cluster.ready()));

  let endGroup = opts.log.group('Federation API');
  const warnings: string[] = [...hostWarnings];
  if (federation && writes) {
    await waitFor(`the federation API at ${federation.cluster.server}`, spec.timeoutMs, opts.log, async () => {
      const problems = await controlPlaneProblems(host, federation.cluster, spec, [hostNames(spec.federationName).apiServer]);
      return problems.length ? problems.join('; ') : null;
    });
  }
  if (federation) {
    const bootstrap = await bootstrapFederation({ spec, host, federation: federation.cluster, federationUp, writes, caPem: controlPlane.caPem, log: opts.log });
    steps.push(...bootstrap.steps);
    warnings.push(...bootstrap.warnings);
  }
  endGroup();

  endGroup = opts.controlPlaneOnly ? () => undefined : opts.log.group('Member clusters');
  const members = membershipResult(
    opts.controlPlaneOnly ? [] : await convergeMembership({ spec, kubeconfig, federation: federation?.cluster, federationUp, writes, log: opts.log, mask: opts.mask }),
  );
  endGroup();

  steps.push(...members.steps);
  const health = await federationHealth({
    spec,
    host,
    federation: federation?.cluster,
    members: federationUp && spec.mode !== 'plan' ? healthChecked(spec, members) : [],
    log: opts.log,
    wait: writes && spec.wait,
    concurrency: MEMBER_CONCURRENCY,
    probeAt: probeAddresses(spec, kubeconfig),
  });
  const notJoined = members.clusters.filter((c) => c.state === 'not joined').map((c) => `cluster "${c.name}": not joined`);
  const problems = [...(federation ? health.controlPlane : ['the federation API server has no address yet (the Service was not created)']), ...health.memberProblems, ...(spec.mode === 'check' ? notJoined : [])];
  return {
    ...members,
    warnings: [...warnings, ...members.warnings],
    steps,
    changed: writes && steps.length > 0,
    federationEndpoint: federation?.cluster.server,
    federationContext: spec.federationName,
    // A kubeconfig is only handed out for credentials the server really has.
    federationKubeconfig: federation && (writes || controlPlane.issued.length === 0) ? federation.kubeconfig : undefined,
    healthy: problems.length === 0 && members.errors.length === 0,
    problems,
    issued: controlPlane.issued,
    clusters: [
      { ...clusterReport('host', host.server, 'reachable', steps), ...(hostWarnings.length ? { tlsUnverified: true } : {}) },
      ...(federation ? [clusterReport('federation', federation.cluster.server, federationUp ? 'ready' : 'not ready', steps)] : []),
      ...members.clusters.map((c) => (health.members.has(c.name) ? { ...c, state: `${c.state}, ${health.members.get(c.name) ? 'not ready' : 'ready'}` } : c)),
    ],
  };
}

interface ControlPlane {
  steps: Step[];
  issued: string[];
  /** The federation's CA certificate (PEM). */
  caPem: string;
  /** The federation API, once its Service has an address. */
  federation?: FederationApi;
}

/** The `kubefed init` part: the control plane on the host, converged in two phases. */
async function convergeControlPlane(spec: Spec, host: Cluster, writes: boolean, opts: RunOptions): Promise<ControlPlane> {
  const { log } = opts;
  const onHost = (objects: KubeObject[]): Desired[] => objects.map((object) => ({ target: { kind: 'host' }, object }));
  const endGroup = log.group('Federation control plane on the host cluster');
  const steps = await converge(onHost(await ownAddressObjects(host, spec)), () => host, { writes, log });
  const address = await apiServerAddress(host, spec, writes ? spec.timeoutMs : 0, log);

  const issue = async () =>
    ensureCredentials(await readCredentialFiles(host, spec), {
      federationName: spec.federationName,
      sans: servingNames(spec, address?.host),
      webhookSans: serviceNames(hostNames(spec.federationName).webhook, spec.namespace),
      tokenAuth: spec.apiServer.enableTokenAuth,
      basicAuth: spec.apiServer.enableBasicAuth,
      now: opts.now ?? new Date(),
    });
  let credentials = await issue();
  // Two first runs at once each issue a CA: the first to create the Secret wins, and the other
  // takes what it holds, so no run hands out a kubeconfig signed by a CA the server lacks.
  if (writes && credentials.issued.includes('CA')) {
    const secret = credentialsSecret({ spec, credentials: credentials.files, address: address?.host ?? '' });
    if (await createIfAbsent(host, withAppliedHash(secret), log)) steps.push({ action: 'create', target: { kind: 'host' }, object: secret });
    else credentials = await issue();
  }
  // As files, and as the base64 a kubeconfig holds them in (the kubeconfig output).
  for (const file of SECRET_FILES) if (credentials.files[file]) [credentials.files[file], base64(credentials.files[file])].forEach(opts.mask);
  const token = adminToken(credentials.files);
  if (token) opts.mask(token);
  if (credentials.issued.length) log.info(`credentials: ${writes ? 'issued' : 'would issue'} ${credentials.issued.join('; ')}`);
  steps.push(...(await converge(onHost(hostObjects({ spec, credentials: credentials.files, address: address?.host ?? '' })), () => host, { writes, log })));
  endGroup();
  return {
    steps,
    issued: credentials.issued,
    caPem: credentials.files[FILES.caCert],
    federation: address ? connectFederation(spec, endpointUrl(address), credentials.files) : undefined,
  };
}

/**
 * The members whose health is checked: the joined ones, and in check mode those the action
 * could not reach (KubeFed's own verdict on them, Offline say, is what the gate reports; apply
 * does not wait for them, it fails on them).
 */
/** The kubeconfig's address of each listed member whose `endpoint` names another. */
function probeAddresses(spec: Spec, kubeconfig: KubeConfig): Map<string, string> {
  return new Map(spec.clusters.flatMap((c) => {
    const server = c.endpoint ? serverOf(kubeconfig, c.context) : undefined;
    return server && server !== c.endpoint ? [[c.name, server] as const] : [];
  }));
}

function healthChecked(spec: Spec, members: { joined: string[]; clusters: { name: string; state: string }[] }): string[] {
  const unreachable = spec.mode === 'check' ? members.clusters.filter((c) => c.state === 'unreachable').map((c) => c.name) : [];
  return [...members.joined, ...unreachable];
}

/**
 * The namespace and Service; a namespace that existed before the action is used as it is,
 * never labelled as the action's (so destroy never deletes it, only the action's objects in it).
 */
async function ownAddressObjects(host: Cluster, spec: Spec): Promise<KubeObject[]> {
  const namespace = await host.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } });
  const ours = !namespace || namespace.metadata.labels?.[MANAGED_BY_LABEL] === FIELD_MANAGER;
  return addressObjects(spec).filter((o) => o.kind !== 'Namespace' || ours);
}

/** The DNS names and addresses the serving certificate must cover. */
export function servingNames(spec: Spec, address: string | undefined): string[] {
  const inCluster = serviceNames(hostNames(spec.federationName).apiServer, spec.namespace);
  return [...new Set([...inCluster, 'localhost', '127.0.0.1', ...(address ? [address] : [])])];
}

/** A Service's in-cluster DNS names. */
function serviceNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}
