// Unit tests of the DNS records (pure): which names, which addresses, and what changes.
import { describe, expect, test } from '@jest/globals';
import { DnsView, desiredEndpoints, endpointChanges, recordsFor } from '../src/desired/dns-records.js';
import { KubeObject } from '../src/desired/objects.js';

const ready = (name: string, status = 'True') => ({
  metadata: { name },
  status: { conditions: [{ type: 'Ready', status }] },
});
const offline = (name: string) => ({
  metadata: { name },
  status: { conditions: [{ type: 'Offline', status: 'True' }] },
});
const lb = (clusterName: string, ...ingress: { ip?: string; hostname?: string }[]) => ({
  clusterName,
  status: { loadBalancer: { ingress } },
});
const view = (extra: Partial<DnsView> = {}): DnsView => ({
  federation: 'fellowship',
  zone: 'example.com.',
  services: [
    {
      metadata: { name: 'web', namespace: 'shop' },
      spec: { placement: { clusters: [{ name: 'gondor' }, { name: 'noldor' }] } },
    },
  ],
  statuses: [
    {
      metadata: { name: 'web', namespace: 'shop' },
      clusterStatus: [lb('noldor', { ip: '10.0.0.2' }), lb('gondor', { ip: '10.0.0.1' })],
    },
  ],
  clusters: [ready('gondor'), ready('noldor')],
  ...extra,
});
const records = (v: DnsView) =>
  (
    desiredEndpoints(v).get('shop/web')?.spec as {
      endpoints: { dnsName: string; recordType: string; targets: string[] }[];
    }
  ).endpoints;
const simple = (v: DnsView) => records(v).map((r) => `${r.dnsName} ${r.recordType} ${r.targets.join(',')}`);

describe('the DNSEndpoint of a federated Service', () => {
  test('the global name answers every Ready member\u2019s address, each member\u2019s name its own', () => {
    expect(simple(view())).toEqual([
      'web.shop.fellowship.svc.example.com A 10.0.0.1,10.0.0.2',
      'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1',
      'web.shop.fellowship.svc.noldor.example.com A 10.0.0.2',
    ]);
    const object = desiredEndpoints(view()).get('shop/web') as KubeObject;
    expect(object).toMatchObject({
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: { name: 'web', namespace: 'shop', labels: { 'kubefed-action.io/federation': 'fellowship' } },
    });
    expect(records(view())[0]).toMatchObject({ recordTTL: 30 });
  });

  test('a member that is not Ready leaves the global name and keeps its own; one no longer joined has none', () => {
    expect(simple(view({ clusters: [ready('gondor'), offline('noldor')] }))).toEqual([
      'web.shop.fellowship.svc.example.com A 10.0.0.1',
      'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1',
      'web.shop.fellowship.svc.noldor.example.com A 10.0.0.2',
    ]);
    expect(simple(view({ clusters: [ready('gondor', 'False'), ready('noldor')] }))[0]).toBe(
      'web.shop.fellowship.svc.example.com A 10.0.0.2',
    );
    expect(simple(view({ clusters: [ready('gondor')] }))).toEqual([
      'web.shop.fellowship.svc.example.com A 10.0.0.1',
      'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1',
    ]);
    expect(simple(view({ clusters: [offline('gondor'), offline('noldor')] }))).toEqual([
      'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1',
      'web.shop.fellowship.svc.noldor.example.com A 10.0.0.2',
    ]);
  });

  test("a member the Service is no longer placed on has no records, though KubeFed's status still names it", () => {
    const on = (placement: object) =>
      simple(view({ services: [{ metadata: { name: 'web', namespace: 'shop' }, spec: { placement } }] }));
    expect(on({ clusters: [{ name: 'gondor' }] })).toEqual([
      'web.shop.fellowship.svc.example.com A 10.0.0.1',
      'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1',
    ]);
    expect(on({})).toEqual([]);
    expect(on({ clusterSelector: {} })).toHaveLength(3);
    const labelled = {
      clusters: [{ ...ready('gondor'), metadata: { name: 'gondor', labels: { region: 'south' } } }, ready('noldor')],
    };
    const selected = (clusterSelector: object) =>
      simple(
        view({
          ...labelled,
          services: [{ metadata: { name: 'web', namespace: 'shop' }, spec: { placement: { clusterSelector } } }],
        }),
      );
    expect(selected({ matchLabels: { region: 'south' } })).toEqual([
      'web.shop.fellowship.svc.example.com A 10.0.0.1',
      'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1',
    ]);
    expect(selected({ matchExpressions: [{ key: 'region', operator: 'DoesNotExist' }] })).toEqual([
      'web.shop.fellowship.svc.example.com A 10.0.0.2',
      'web.shop.fellowship.svc.noldor.example.com A 10.0.0.2',
    ]);
  });

  test('host names become a CNAME, IPv6 addresses AAAA; a Service with no status yet has no records', () => {
    expect(
      recordsFor('a.example.com', ['10.0.0.1', 'fd00::1'], ['lb.aws.com']).map(
        (r) => `${r.recordType} ${r.targets.join(',')}`,
      ),
    ).toEqual(['A 10.0.0.1', 'AAAA fd00::1']);
    expect(recordsFor('a.example.com', [], ['z.elb.com', 'a.elb.com'])).toEqual([
      { dnsName: 'a.example.com', recordType: 'CNAME', targets: ['a.elb.com'], recordTTL: 30 },
    ]);
    expect(simple(view({ statuses: [] }))).toEqual([]);
    expect(desiredEndpoints(view({ services: [] })).size).toBe(0);
    const deleting = { metadata: { name: 'web', namespace: 'shop', deletionTimestamp: '2026-11-25T14:00:00Z' } };
    expect(desiredEndpoints(view({ services: [deleting] })).size).toBe(0);
  });
});

describe('the changes to the DNSEndpoints on the server', () => {
  const desired = desiredEndpoints(view());
  const onServer = (object: KubeObject, resourceVersion = '5'): KubeObject => ({
    ...object,
    metadata: { ...object.metadata, resourceVersion },
  });

  test('a missing one is created, a stale one replaced at its version, an unwanted one deleted', () => {
    const current = desired.get('shop/web') as KubeObject;
    expect(endpointChanges(desired, [])).toEqual([{ action: 'create', object: current }]);
    expect(endpointChanges(desired, [onServer(current)])).toEqual([]);
    const stale = onServer({ ...current, spec: { endpoints: [] } });
    expect(endpointChanges(desired, [stale])).toEqual([{ action: 'update', object: onServer(current) }]);
    const orphan = onServer({ ...current, metadata: { ...current.metadata, name: 'gone' } });
    expect(endpointChanges(desired, [onServer(current), orphan])).toEqual([{ action: 'delete', object: orphan }]);
  });

  test('field order as the server returns it is no change', () => {
    const current = desired.get('shop/web') as KubeObject;
    const reordered = (current.spec as { endpoints: Record<string, unknown>[] }).endpoints.map((r) =>
      Object.fromEntries(Object.entries(r).reverse()),
    );
    expect(endpointChanges(desired, [onServer({ ...current, spec: { endpoints: reordered } })])).toEqual([]);
  });
});
