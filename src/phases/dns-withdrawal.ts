// destroy withdraws the federation's DNS records before their publisher goes: external-dns,
// deleted with the namespace, would otherwise leave names pointing at addresses that will be
// reused. The DNS controller is stopped first (it would write the records back), then every
// DNSEndpoint is emptied: external-dns withdraws what it owns that no DNSEndpoint asks for.
// The emptied DNSEndpoints stay until the control plane goes: they are the record that a
// withdrawal is pending, which a re-run after a timeout needs to wait for it again.
import { execute } from '../apply/converge.js';
import { DNS_ENDPOINT_API } from '../desired/dns-records.js';
import { FEDERATION_LABEL, KubeObject, ownedBySelector } from '../desired/objects.js';
import type { Cluster } from '../observe/cluster.js';
import { etcdTlsFiles, externalDnsMetrics, federationKeysInEtcd } from '../observe/published-records.js';
import { externalDnsPending, parseMetrics } from '../plan/dns-withdrawal.js';
import type { Step } from '../plan/plan.js';
import { pollUntil, waitFor } from '../wait/poll.js';
import { type Scope, hostOf } from './scope.js';

/** The container the DNS controller runs as, in whichever Deployment holds it. */
const DNS_CONTROLLER_CONTAINER = 'dns-controller';

const runsDnsController = (podSpec: unknown) =>
  ((podSpec as { containers?: { name: string }[] } | undefined)?.containers ?? []).some(
    (c) => c.name === DNS_CONTROLLER_CONTAINER,
  );

/**
 * Withdraws the records and waits (up to `timeout`) until they are seen gone. Returns why that
 * could not be confirmed, or null when it was (or nothing was published).
 */
export async function withdrawDnsRecords(scope: Scope): Promise<string | null> {
  const { spec, log, federation } = scope;
  if (!federation || !scope.federationUp) return null; // unreadable: said as the members were
  const endpoints = await federation.cluster.list(
    DNS_ENDPOINT_API,
    'DNSEndpoint',
    ownedBySelector(spec.federationName),
  );
  if (!endpoints.length) return null;
  const endGroup = log.group('Withdrawing the federation\u2019s DNS records');
  const host = hostOf(scope);
  const opts = { writes: scope.writes, log };
  scope.steps.push(...(await stopDnsController(scope, host)));
  const emptied = endpoints.filter((e) => ((e.spec as { endpoints?: unknown[] })?.endpoints ?? []).length > 0);
  scope.steps.push(...(await execute(emptied.map(emptyStep), () => federation.cluster, opts)));
  const pending = await pollUntil(
    `external-dns to withdraw the records of ${endpoints.length} DNSEndpoint(s)`,
    spec.timeoutMs,
    log,
    () => recordsPending(scope, host),
  );
  if (pending === null) log.info('every DNS record of the federation is withdrawn');
  endGroup();
  return pending === null
    ? null
    : `its DNS records are not seen withdrawn: ${pending} (the DNS controller is stopped; apply starts it again)`;
}

/** Deletes the Deployments that run the DNS controller and waits until their pods are gone. */
async function stopDnsController(scope: Scope, host: Cluster): Promise<Step[]> {
  const { spec, log } = scope;
  const deployments = (
    await host.list('apps/v1', 'Deployment', ownedBySelector(spec.federationName), spec.namespace)
  ).filter((d) => runsDnsController((d.spec as { template?: { spec?: unknown } })?.template?.spec));
  const steps = await execute(
    deployments.map((d) => ({
      action: 'delete' as const,
      target: { kind: 'host' as const },
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: d.metadata.name, namespace: spec.namespace },
      },
      reason: 'the DNS controller stops before its records are withdrawn',
    })),
    () => host,
    { writes: scope.writes, log },
  );
  await waitFor('the DNS controller to stop', spec.timeoutMs, log, async () => {
    const pods = await host.list('v1', 'Pod', `${FEDERATION_LABEL}=${spec.federationName}`, spec.namespace);
    const left = pods.filter((p) => runsDnsController(p.spec)).map((p) => p.metadata.name);
    return left.length ? `pod(s) ${left.join(', ')} still running` : null;
  });
  return steps;
}

const emptyStep = (endpoint: KubeObject): Step => ({
  action: 'update',
  target: { kind: 'federation' },
  object: {
    apiVersion: DNS_ENDPOINT_API,
    kind: 'DNSEndpoint',
    metadata: {
      name: endpoint.metadata.name,
      namespace: endpoint.metadata.namespace,
      labels: endpoint.metadata.labels,
    },
    spec: { endpoints: [] },
  },
  reason: 'its records withdrawn before the control plane goes',
});

/**
 * What is still published, as the coredns provider's etcd shows it when the runner reaches it,
 * else as external-dns's metrics say.
 */
async function recordsPending(scope: Scope, host: Cluster): Promise<string | null> {
  const { spec } = scope;
  const urls = (spec.dns.settings.env.ETCD_URLS ?? '').split(',').filter((u) => u !== '');
  let etcdProblem = '';
  if (spec.dns.provider === 'coredns' && urls.length) {
    try {
      const keys = await federationKeysInEtcd(urls, await etcdTlsFiles(host, spec), spec);
      return keys.length ? `${keys.length} record(s) still in the coredns provider's etcd (${keys[0]}, ...)` : null;
    } catch (err) {
      etcdProblem = `${(err as Error).message}; `;
    }
  }
  try {
    return externalDnsPending(parseMetrics(await externalDnsMetrics(host, spec)));
  } catch (err) {
    return `${etcdProblem}external-dns's metrics cannot be read: ${(err as Error).message}`;
  }
}
