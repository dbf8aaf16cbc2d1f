// What can be seen of the records external-dns published, for destroy to know they are gone:
// the coredns provider's etcd (read through etcd's JSON gateway, with the TLS files external-dns
// itself is given), and external-dns's own metrics (through the host API server's proxy).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostNames } from '../desired/control-plane.js';
import { EXTERNAL_DNS_PORT } from '../desired/dns-objects.js';
import { FEDERATION_LABEL, fromBase64 } from '../desired/objects.js';
import { PROVIDER_FILES } from '../inputs/dns-provider.js';
import type { Spec } from '../inputs/spec.js';
import { isFederationKey, prefixRangeEnd, zoneKeyPrefix } from '../plan/dns-withdrawal.js';
import type { Cluster } from './cluster.js';

const ETCD_REQUEST_MS = 10_000;

interface EtcdTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** The etcd TLS files external-dns is given, as the host's provider-config Secret holds them. */
export async function etcdTlsFiles(host: Cluster, spec: Spec): Promise<EtcdTls> {
  const secret = await host.read({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: hostNames(spec.federationName).dnsProviderConfig, namespace: spec.namespace },
  });
  const data = (secret?.data ?? {}) as Record<string, string>;
  return {
    ca: fromBase64(data[PROVIDER_FILES.etcdCa]),
    cert: fromBase64(data[PROVIDER_FILES.etcdCert]),
    key: fromBase64(data[PROVIDER_FILES.etcdKey]),
  };
}

/**
 * The keys of this federation's records in the coredns provider's etcd, from the first of
 * `urls` that answers. Fails when none does (the runner may not reach an in-cluster etcd).
 */
export async function federationKeysInEtcd(urls: string[], tls: EtcdTls, spec: Spec): Promise<string[]> {
  const prefix = zoneKeyPrefix(spec.dns.zone);
  const body = {
    key: Buffer.from(prefix).toString('base64'),
    range_end: Buffer.from(prefixRangeEnd(prefix)).toString('base64'),
    keys_only: true,
  };
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const answer = (await postJson(new URL('/v3/kv/range', url), body, tls)) as { kvs?: { key: string }[] };
      return (answer.kvs ?? [])
        .map((kv) => Buffer.from(kv.key, 'base64').toString())
        .filter((key) => isFederationKey(key, spec.dns.zone, spec.federationName));
    } catch (err) {
      failures.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no etcd endpoint of the coredns provider answers (${failures.join('; ')})`);
}

function postJson(url: URL, body: object, tls: EtcdTls): Promise<unknown> {
  const https = url.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        timeout: ETCD_REQUEST_MS,
        ...(https ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString()));
          } catch {
            reject(new Error('the answer is not JSON'));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ETCD_REQUEST_MS / 1000}s`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
    req.end(JSON.stringify(body));
  });
}

/** external-dns's metrics (Prometheus text), read from its running pod through the host's API proxy. */
export async function externalDnsMetrics(host: Cluster, spec: Spec): Promise<string> {
  const pods = await host.list(
    'v1',
    'Pod',
    `${FEDERATION_LABEL}=${spec.federationName},module=federation-external-dns`,
    spec.namespace,
  );
  const running = pods.find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  if (!running) throw new Error(`no running external-dns pod in ${spec.namespace}`);
  return host.podProxyGet(spec.namespace, running.metadata.name, EXTERNAL_DNS_PORT, 'metrics');
}
