// Unit tests of the DNS records (pure): which names, which addresses, and what changes.
import { describe, expect, test } from '@jest/globals';
import { DnsRecord, DnsView, desiredEndpoints, endpointChanges, recordsFor } from '../src/desired/dns-records.js';
import { dnsStatusConfigMap } from '../src/desired/dns-status.js';
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

  test("with RawResourceStatusCollection (no FederatedServiceStatus), the members' addresses come from remoteStatus", () => {
    const service = view().services[0];
    const remote = (name: string, ip: string) => ({ name, remoteStatus: { loadBalancer: { ingress: [{ ip }] } } });
    const collected = {
      ...service,
      status: { clusters: [remote('noldor', '10.0.0.2'), remote('gondor', '10.0.0.1')] },
    };
    expect(simple(view({ services: [collected], statuses: [] }))).toEqual(simple(view()));
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

  test('IPv6 addresses are AAAA, IPv4-mapped ones A; a Service with no status yet has no records', () => {
    const status = lb('gondor', { ip: '10.0.0.1' }, { ip: 'fd00::1' }, { ip: '::ffff:10.0.0.3' });
    expect(
      simple(view({ statuses: [{ metadata: { name: 'web', namespace: 'shop' }, clusterStatus: [status] }] })),
    ).toEqual([
      'web.shop.fellowship.svc.example.com A 10.0.0.1,10.0.0.3',
      'web.shop.fellowship.svc.example.com AAAA fd00::1',
      'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1,10.0.0.3',
      'web.shop.fellowship.svc.gondor.example.com AAAA fd00::1',
    ]);
    expect(simple(view({ statuses: [] }))).toEqual([]);
    expect(desiredEndpoints(view({ services: [] })).size).toBe(0);
    const deleting = { metadata: { name: 'web', namespace: 'shop', deletionTimestamp: '2026-11-25T14:00:00Z' } };
    expect(desiredEndpoints(view({ services: [deleting] })).size).toBe(0);
  });
});

/** The records and what was said to be left out, for these members' load-balancer ingress. */
const withIngress = (
  clusterStatus: ReturnType<typeof lb>[],
  clusters = clusterStatus.map((s) => ready(s.clusterName)),
) => {
  const leftOut: string[] = [];
  const placement = { clusters: clusterStatus.map((s) => ({ name: s.clusterName })) };
  const v = view({
    services: [{ metadata: { name: 'web', namespace: 'shop' }, spec: { placement } }],
    statuses: [{ metadata: { name: 'web', namespace: 'shop' }, clusterStatus }],
    clusters,
  });
  const endpoints = (desiredEndpoints(v, leftOut).get('shop/web')?.spec as { endpoints: DnsRecord[] }).endpoints;
  return { records: endpoints.map((r) => `${r.dnsName} ${r.recordType} ${r.targets.join(',')}`), leftOut };
};
const GLOBAL = 'web.shop.fellowship.svc.example.com';

describe('what a member may publish', () => {
  test('a host name never takes the global name: it lists the addresses of IP members, host-name members are said', () => {
    const { records, leftOut } = withIngress([
      lb('attacker', { hostname: '0wned.attacker.example' }),
      lb('gondor', { ip: '10.0.0.1' }),
      lb('rohan', { hostname: 'lb.rohan.example', ip: '10.0.0.2' }),
    ]);
    expect(records).toEqual([
      `${GLOBAL} A 10.0.0.1,10.0.0.2`,
      'web.shop.fellowship.svc.attacker.example.com CNAME 0wned.attacker.example',
      'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1',
      'web.shop.fellowship.svc.rohan.example.com A 10.0.0.2',
    ]);
    expect(leftOut).toEqual([
      'shop/web: member rohan: host name lb.rohan.example left out: its own name has addresses',
      'shop/web: member attacker: left out of the global name: its load balancer has a host name, not addresses',
    ]);
    // Host names only: each member keeps its own name, none takes the global one.
    const only = withIngress([lb('a', { hostname: 'z.elb.example' }), lb('b', { hostname: 'a.attacker.example' })]);
    expect(only.records).toEqual([
      'web.shop.fellowship.svc.a.example.com CNAME z.elb.example',
      'web.shop.fellowship.svc.b.example.com CNAME a.attacker.example',
    ]);
    expect(only.leftOut).toHaveLength(2);
  });

  test('loopback, link-local, unspecified, multicast, broadcast and metadata addresses are refused and said', () => {
    const refused = [
      '127.0.0.1',
      '::1',
      '169.254.169.254',
      '169.254.10.1',
      'fe80::1',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      'ff02::1',
      '255.255.255.255',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
      '0x7f.0.0.1',
    ];
    const { records, leftOut } = withIngress([lb('gondor', ...refused.map((ip) => ({ ip })), { ip: '10.0.0.1' })]);
    expect(records).toEqual([`${GLOBAL} A 10.0.0.1`, 'web.shop.fellowship.svc.gondor.example.com A 10.0.0.1']);
    expect(leftOut).toHaveLength(refused.length);
    expect(leftOut).toContain('shop/web: member gondor: 127.0.0.1 left out: a loopback address');
    expect(leftOut).toContain('shop/web: member gondor: 169.254.169.254 left out: a cloud metadata service address');
    expect(leftOut).toContain('shop/web: member gondor: ::ffff:127.0.0.1 left out: a loopback address');
    expect(leftOut).toContain('shop/web: member gondor: 0x7f.0.0.1 left out: not an IP address');
    const names = withIngress([lb('gondor', { hostname: 'bad name' }, { hostname: `${'x'.repeat(64)}.example` })]);
    expect(names.records).toEqual([]);
    expect(names.leftOut.slice(0, 2)).toEqual([
      'shop/web: member gondor: host name bad name left out: not a DNS host name',
      `shop/web: member gondor: host name ${'x'.repeat(64)}.example left out: the label "${'x'.repeat(64)}" is over DNS's 63 characters`,
    ]);
  });

  test('each member gives at most 8 addresses, the global name at most 64, taken in turns: none crowds out another', () => {
    const many = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ ip: `${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
    const big = withIngress([lb('big', ...many('10.1', 5000))]);
    expect(big.records.map((r) => r.split(' ')[2].split(',').length)).toEqual([8, 8]);
    expect(big.leftOut).toEqual([
      expect.stringMatching(
        /^shop\/web: member big: (10\.1\.\d+\.\d+, ){7}10\.1\.\d+\.\d+ and 4984 more left out: over 8 addresses$/,
      ),
    ]);
    const members = Array.from({ length: 10 }, (_, m) => lb(`m${m}`, ...many(`10.${m + 2}`, 8)));
    const { records, leftOut } = withIngress(members);
    const global = records[0].split(' ')[2].split(',');
    expect(global).toHaveLength(64);
    // Every member is in the global name (6 or 7 addresses each), and what is left out is said.
    for (let m = 0; m < 10; m++)
      expect(global.filter((ip) => ip.startsWith(`10.${m + 2}.`)).length).toBeGreaterThanOrEqual(6);
    expect(leftOut).toHaveLength(10);
    expect(leftOut[0]).toMatch(
      /^shop\/web: member m0: 10\.2\.0\.\d+ left out of the global name: over 64 addresses in all$/,
    );
  });

  test('a member that is not Ready is said to be left out of the global name', () => {
    const { leftOut } = withIngress([lb('gondor', { ip: '10.0.0.1' })], [ready('gondor', 'False')]);
    expect(leftOut).toEqual(['shop/web: member gondor: left out of the global name: not Ready']);
  });

  test('a name over 253 characters or with a label over 63 is never published, and said', () => {
    const long = 'n'.repeat(63);
    const leftOut: string[] = [];
    const v = view({
      federation: 'f'.repeat(50),
      services: [{ metadata: { name: long, namespace: long }, spec: { placement: { clusters: [{ name: long }] } } }],
      statuses: [{ metadata: { name: long, namespace: long }, clusterStatus: [lb(long, { ip: '10.0.0.1' })] }],
      clusters: [ready(long)],
    });
    const records = (desiredEndpoints(v, leftOut).get(`${long}/${long}`)?.spec as { endpoints: DnsRecord[] }).endpoints;
    // The global name is 63+63+50+63+11 characters... the member's name is over 253.
    expect(records.map((r) => r.dnsName.length)).toEqual([`${long}.${long}.${'f'.repeat(50)}.svc.example.com`.length]);
    expect(records.every((r) => r.dnsName.length <= 253)).toBe(true);
    expect(leftOut).toEqual([
      expect.stringMatching(/^n{63}\/n{63}: member n{63}: n{63}\.\S+ not published: 258 characters, over DNS's 253$/),
    ]);
    expect(recordsFor('a.example.com', [{ ip: '10.0.0.1', family: 4 }], 'lb.example')).toHaveLength(1);
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

describe("the DNS controller's status", () => {
  test('text a person reads with kubectl: failing writes, what is left out, failing watches; bounded', () => {
    const status = dnsStatusConfigMap('fellowship', 'kube-federation-system', {
      endpoints: 3,
      failedWrites: [['shop/web', { error: 'HTTP 409: exists', attempts: 4, since: 0, notBefore: 9 }]],
      leftOut: Array.from(
        { length: 250 },
        (_, i) => `shop/s${i}: member gondor: left out of the global name: not Ready`,
      ),
      watchFailures: [{ reason: 'ECONNREFUSED', sources: ['federatedservices', 'kubefedclusters'] }],
    });
    expect(status.metadata).toEqual({
      name: 'fellowship-dns-controller',
      namespace: 'kube-federation-system',
      labels: { 'app.kubernetes.io/managed-by': 'kubefed-action', 'kubefed-action.io/federation': 'fellowship' },
    });
    const data = status.data as Record<string, string>;
    expect(data['failed-writes']).toBe(
      'shop/web: HTTP 409: exists (failing since 1970-01-01T00:00:00.000Z; retried with back-off)\n',
    );
    expect(data.watches).toBe('federatedservices, kubefedclusters: ECONNREFUSED\n');
    const leftOut = data['left-out'].trimEnd().split('\n');
    expect(leftOut).toHaveLength(201);
    expect(leftOut[200]).toBe("... and 50 more, in the controller's log");
    expect(data.summary).toMatch(/^3 DNSEndpoint\(s\) wanted; 1 write\(s\) failing; 250 thing\(s\) left out/);
  });
});
