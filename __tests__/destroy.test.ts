// Unit tests of destroy's pure decisions: which records in the coredns provider's etcd are the
// federation's, when external-dns's metrics say it has withdrawn them, and what keeps the etcd volume.
import { describe, expect, test } from '@jest/globals';
import {
  externalDnsPending,
  isFederationKey,
  parseMetrics,
  prefixRangeEnd,
  zoneKeyPrefix,
} from '../src/plan/dns-withdrawal.js';
import { retainStep } from '../src/phases/etcd-volume.js';

describe("the federation's records in the coredns provider's etcd", () => {
  test('a zone is a key prefix of its labels reversed; its range ends one byte past it', () => {
    expect(zoneKeyPrefix('example.com.')).toBe('/skydns/com/example/');
    expect(zoneKeyPrefix('fed.example.co.uk')).toBe('/skydns/uk/co/example/fed/');
    expect(prefixRangeEnd('/skydns/com/example/')).toBe('/skydns/com/example0');
  });

  test('global, per-member and TXT registry names of this federation, and no other', () => {
    const mine = [
      '/skydns/com/example/svc/arnor/shop/web/1a2b3c4d',
      '/skydns/com/example/lindon/svc/arnor/shop/web/5e6f7a8b',
      '/skydns/com/example/svc/arnor/shop/a-web',
      '/skydns/com/example/lindon/svc/arnor/shop/a-web/00000001',
    ];
    const others = [
      '/skydns/com/example/svc/gondor/shop/web/1',
      '/skydns/com/example/www',
      '/skydns/com/example/svc/arnor',
      '/skydns/org/example/svc/arnor/shop/web/1',
      '/skydns/com/example/a/b/svc/arnor/shop/web/1',
    ];
    for (const key of mine) expect([key, isFederationKey(key, 'example.com.', 'arnor')]).toEqual([key, true]);
    for (const key of others) expect([key, isFederationKey(key, 'example.com.', 'arnor')]).toEqual([key, false]);
  });
});

describe("external-dns's metrics", () => {
  const exposition = (source: number, reconcile: number, sync: number) =>
    [
      '# HELP external_dns_source_endpoints_total Number of Endpoints in all sources',
      '# TYPE external_dns_source_endpoints_total gauge',
      `external_dns_source_endpoints_total ${source}`,
      `external_dns_controller_last_reconcile_timestamp_seconds ${reconcile}`,
      `external_dns_controller_last_sync_timestamp_seconds ${sync}`,
      'external_dns_registry_records{record_type="a"} 3',
    ].join('\n');

  test('are read by name, labels dropped, in exponent notation too', () => {
    const metrics = parseMetrics(exposition(2, 1.7330001e9, 1.7330002e9));
    expect(metrics.get('external_dns_source_endpoints_total')).toBe(2);
    expect(metrics.get('external_dns_controller_last_sync_timestamp_seconds')).toBe(1733000200);
    expect(metrics.get('external_dns_registry_records')).toBe(3);
  });

  test('say the records are withdrawn only once a pass that read none has synced', () => {
    expect(externalDnsPending(parseMetrics(exposition(3, 100, 101)))).toBe(
      'external-dns still reads 3 record(s) from the DNSEndpoints',
    );
    // The pass that read none is still applying its deletions.
    expect(externalDnsPending(parseMetrics(exposition(0, 102, 101)))).toBe(
      "external-dns's last pass has not synced with the provider yet",
    );
    expect(externalDnsPending(parseMetrics(exposition(0, 102, 102.5)))).toBeNull();
    expect(externalDnsPending(parseMetrics(''))).toBe('external-dns reports no completed pass yet');
  });
});

describe('the etcd volume', () => {
  const volume = (policy: string) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pvc-1', resourceVersion: '7' },
    spec: { persistentVolumeReclaimPolicy: policy, capacity: { storage: '10Gi' } },
  });

  test('a volume the provisioner would delete gets Retain, and that field alone is applied', () => {
    expect(retainStep(volume('Delete'))).toEqual({
      action: 'update',
      target: { kind: 'host' },
      object: {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'pvc-1' },
        spec: { persistentVolumeReclaimPolicy: 'Retain' },
      },
      reason: 'reclaim policy Delete → Retain: the etcd data outlives destroy',
    });
    expect(retainStep(volume('Recycle'))?.object.spec).toEqual({ persistentVolumeReclaimPolicy: 'Retain' });
  });

  test('a volume already retained is left alone', () => {
    expect(retainStep(volume('Retain'))).toBeUndefined();
  });
});
