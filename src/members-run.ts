// `kubefed join` and `kubefed unjoin` of one cluster, as the guide runs them: given only the
// host context, the federation is found on the host, and only that member changes; the
// control plane is left as it is.
import type { KubeConfig } from '@kubernetes/client-node';
import { hostCluster } from './cluster.js';
import { SETTINGS_PREFIX, hostNames, settingsOf } from './controlplane.js';
import { PROVIDER_FILES, withoutFileKeys } from './dns-provider.js';
import { existingFederation } from './federation-api.js';
import { federationHealth } from './health.js';
import { InputError, Spec } from './inputs.js';
import { MEMBER_CONCURRENCY, MembershipContext, joinListed, unjoinNamed } from './join.js';
import { contextProblems } from './kubeconfig.js';
import { FEDERATION_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL, fromBase64 } from './objects.js';
import { RunResult, clusterReport, membershipResult } from './result.js';
import type { RunOptions } from './run.js';

/**
 * The inputs of the federation that lives in `namespace` on the host, as its API server
 * Deployment keeps them: its name, DNS zone and provider, and how its API server is exposed.
 * `name` picks one when the namespace holds several.
 */
export async function discoverFederation(kubeconfig: KubeConfig, hostContext: string, namespace: string, name?: string): Promise<Record<string, string>> {
  const host = hostCluster(kubeconfig, hostContext);
  const selector = `${MANAGED_BY_LABEL}=${FIELD_MANAGER},module=federation-apiserver`;
  const found = (await host.list('apps/v1', 'Deployment', selector, namespace)).filter((d) => d.metadata.annotations?.[`${SETTINGS_PREFIX}dns-zone-name`]);
  const names = found.map((d) => d.metadata.labels?.[FEDERATION_LABEL] ?? '');
  const match = name ? found.filter((d) => d.metadata.labels?.[FEDERATION_LABEL] === name) : found;
  if (match.length !== 1) {
    const where = `namespace "${namespace}" of ${host.label}`;
    const problem = found.length === 0 ? `no federation made by kubefed init in ${where}` : name ? `no federation "${name}" in ${where}; it has ${names.join(', ')}` : `${where} has several federations (${names.join(', ')}): pick one with --federation-name`;
    throw new InputError([`host-cluster-context: ${problem}`]);
  }
  const federation = match[0].metadata.labels?.[FEDERATION_LABEL] ?? '';
  // Where members' CoreDNS forwards the federation's names is in its DNS provider config.
  const providerConfig = await host.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: hostNames(federation).dnsProviderConfig, namespace } });
  const config = fromBase64((providerConfig?.data as Record<string, string> | undefined)?.[PROVIDER_FILES.config]);
  return { 'federation-name': federation, ...settingsOf(match[0].metadata.annotations), ...(config ? { 'dns-provider-config': withoutFileKeys(config) } : {}) };
}

/** Joins or unjoins the one cluster in `spec.clusters`, and reports it as a run would. */
export async function runMember(op: 'join' | 'unjoin', spec: Spec, kubeconfig: KubeConfig, opts: RunOptions): Promise<RunResult> {
  const [cluster] = spec.clusters;
  const missing = contextProblems(kubeconfig, op === 'join' || cluster.context !== cluster.name ? [{ input: 'cluster-context', context: cluster.context }] : []);
  if (missing.length) throw new InputError(missing);
  const host = hostCluster(kubeconfig, spec.hostContext);
  const federation = await existingFederation(host, spec, opts.log);
  if (!federation) throw new Error(`federation ${spec.federationName}: its API server has no address or credentials on ${host.label} yet; run kubefed init first`);
  if (!(await federation.cluster.ready())) throw new Error(`${federation.cluster.label} does not answer /readyz; nothing was changed`);

  const writes = spec.mode === 'apply';
  // An unjoin lists no cluster: the one it removes is found through its record in the federation.
  const ctx: MembershipContext = { spec: op === 'join' ? spec : { ...spec, clusters: [] }, kubeconfig, federation: federation.cluster, federationUp: true, writes, log: opts.log, mask: opts.mask };
  const outcomes = op === 'join' ? await joinListed(ctx) : [await unjoinNamed(ctx, cluster.name, cluster.context !== cluster.name ? cluster.context : undefined)];
  const members = membershipResult(outcomes);
  const health = await federationHealth({
    spec, host, federation: federation.cluster, members: op === 'join' && writes ? members.joined : [], log: opts.log, wait: writes && spec.wait, concurrency: MEMBER_CONCURRENCY,
  });
  const problems = [...health.controlPlane, ...health.memberProblems];
  return {
    ...members,
    changed: writes && members.steps.length > 0,
    federationEndpoint: federation.cluster.server,
    federationContext: spec.federationName,
    healthy: problems.length === 0 && members.errors.length === 0,
    problems,
    issued: [],
    clusters: [clusterReport('federation', federation.cluster.server, 'ready', members.steps), ...members.clusters],
  };
}
