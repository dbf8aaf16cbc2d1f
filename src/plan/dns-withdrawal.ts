// Whether external-dns has withdrawn the federation's records, from what can be seen of it
// (pure): the keys the coredns provider keeps in its etcd, or external-dns's own metrics.

/** Where external-dns's coredns provider keeps records (its --coredns-prefix, left at the default). */
export const SKYDNS_PREFIX = '/skydns/';

/**
 * The etcd key range of a zone (`example.com.` → `/skydns/com/example/`): the coredns
 * provider keeps a name's records under its labels reversed, one path segment each.
 */
export function zoneKeyPrefix(zone: string): string {
  const labels = zone.replace(/\.$/, '').split('.').reverse();
  return `${SKYDNS_PREFIX}${labels.join('/')}/`;
}

/** The end of etcd's range for every key starting with `prefix` (its last byte plus one). */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  bytes[bytes.length - 1] += 1;
  return bytes.toString();
}

/**
 * Whether a key under the zone holds a record of this federation: its names are
 * `<svc>.<ns>.<fed>.svc.<zone>` and `<svc>.<ns>.<fed>.svc.<cluster>.<zone>`, and the TXT
 * registry's `<type>-<svc>.<ns>...` beside them; reversed, `svc/<fed>/` follows the zone at
 * once or after one label.
 */
export function isFederationKey(key: string, zone: string, federation: string): boolean {
  const prefix = zoneKeyPrefix(zone);
  if (!key.startsWith(prefix)) return false;
  const rest = key.slice(prefix.length).split('/');
  const at = rest[0] === 'svc' ? 0 : rest[1] === 'svc' ? 1 : -1;
  return at >= 0 && rest[at + 1] === federation && rest.length > at + 2;
}

/** The samples of a Prometheus text exposition, by metric name (labels dropped, last one wins). */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match) samples.set(match[1], Number(match[2]));
  }
  return samples;
}

/**
 * What external-dns's metrics say is still pending before the records are withdrawn, or null.
 * Each pass sets last_reconcile when it starts, the source count once it has listed the
 * DNSEndpoints, and last_sync only once the provider took every change: a pass that listed
 * no record and then synced has withdrawn every record it owned.
 */
export function externalDnsPending(metrics: Map<string, number>): string | null {
  const source = metrics.get('external_dns_source_endpoints_total');
  const started = metrics.get('external_dns_controller_last_reconcile_timestamp_seconds');
  const synced = metrics.get('external_dns_controller_last_sync_timestamp_seconds');
  if (source === undefined || started === undefined || synced === undefined)
    return 'external-dns reports no completed pass yet';
  if (source > 0) return `external-dns still reads ${source} record(s) from the DNSEndpoints`;
  if (!(synced >= started) || synced === 0) return "external-dns's last pass has not synced with the provider yet";
  return null;
}
