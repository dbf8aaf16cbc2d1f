// Federated service DNS, end to end with the real programs: the project's DNS controller (the
// project's image, run by a real kubelet from the container the action wrote), external-dns
// v0.19.0 publishing to the coredns provider's etcd, CoreDNS v1.12.4 answering from it, and a
// member's own cluster DNS (CoreDNS as kubeadm deploys it) loading the Corefile join merged.
// Answers are read with a real resolver. The clusters are testenvs of their own: one member is
// stopped.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubeConfig, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { externalDnsArgs } from '../src/desired/dns-objects.js';
import { parseSpec } from '../src/inputs/spec.js';
import { ensureBinaries } from '../testenv/index.mjs';
import { ActionRun, runAction } from './helpers/action.js';
import { clientFor, eventually, extraClusters, get, objectClient } from './helpers/testenv.js';

const NS = 'fed-dns';
const FED = 'arnor';
const TYPES = 'types.kubefed.io/v1beta1';

/** The A answers for a name from a DNS server, or the resolver's error code (ENOTFOUND: NXDOMAIN). */
async function answers(server: string, name: string): Promise<string[] | string> {
  const resolver = new Resolver({ timeout: 1500, tries: 1 });
  resolver.setServers([server]);
  try {
    return (await resolver.resolve4(name)).sort();
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** The TXT answers for a name, joined, or the resolver's error code. */
async function txt(server: string, name: string): Promise<string> {
  const resolver = new Resolver({ timeout: 1500, tries: 1 });
  resolver.setServers([server]);
  try {
    return (await resolver.resolveTxt(name)).map((chunks) => chunks.join('')).join(' ');
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('federated service DNS with external-dns and CoreDNS', () => {
  // eriador hosts the federation and runs the coredns provider's CoreDNS; lindon is a member
  // running CoreDNS as its cluster DNS; fornost, a member in a testenv of its own, is stopped.
  let home: ReturnType<typeof extraClusters>;
  let away: ReturnType<typeof extraClusters>;
  let inputs: (clusters: string, extra?: Record<string, string>) => Record<string, string>;
  let first: ActionRun;
  let federation: KubernetesObjectApi;
  // lindon's Corefile before the join: kubeadm's, as testenv deploys the cluster DNS.
  let corefile: string;
  const lindon = () => clientFor('lindon', home.kubeconfigPath);
  const fornost = () => clientFor('fornost', away.kubeconfigPath);
  const providerDns = () => home.info.dns;
  const global = 'web.shop.arnor.svc.example.com';
  const addressOf = async (member: KubernetesObjectApi) => {
    const svc = await eventually(
      () => get(member, 'v1', 'Service', 'web', 'shop'),
      (s) => Boolean(s?.status?.loadBalancer?.ingress?.[0]?.ip),
      90_000,
    );
    return svc?.status.loadBalancer.ingress[0].ip as string;
  };
  const place = (...clusters: string[]) =>
    federation.patch(
      {
        apiVersion: TYPES,
        kind: 'FederatedService',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { placement: { clusters: clusters.map((name) => ({ name })) } },
      } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json' as never,
    );

  beforeAll(async () => {
    home = extraClusters('eriador,lindon');
    away = extraClusters('fornost');
    const config = `[Global]\netcd-endpoints = ${home.info.etcd}\nzones = example.com.\ncoredns-endpoints = ${home.info.dns}\n`;
    inputs = (clusters, extra = {}) => ({
      kubeconfig: `${home.kubeconfig}\n---\n${away.kubeconfig}`,
      'federation-name': FED,
      'host-cluster-context': 'eriador',
      'federation-system-namespace': NS,
      'dns-provider': 'coredns',
      'dns-zone-name': 'example.com.',
      'dns-provider-config': config,
      timeout: '150s',
      clusters,
      ...extra,
    });
    corefile = (await get(lindon(), 'v1', 'ConfigMap', 'coredns', 'kube-system'))?.data?.Corefile as string;
    first = runAction(inputs('- lindon\n- fornost\n'));
    if (!first.outputs.kubeconfig) throw new Error(`the action made no federation:\n${first.shown.slice(-3000)}`);
    const kc = new KubeConfig();
    kc.loadFromString(readFileSync(first.outputs.kubeconfig, 'utf8'));
    federation = objectClient(kc);
  });

  afterAll(() => {
    first?.post();
    home?.stop();
    away?.stop();
  });

  test('the action deploys the DNS controller and external-dns, each in a Deployment of its own, and merges the Corefile of the CoreDNS member', async () => {
    expect(first.log).not.toMatch(/::error::/);
    expect(first.status).toBe(0);
    expect(first.outputs.healthy).toBe('true');
    const host = clientFor('eriador', home.kubeconfigPath);
    // KubeFed's availability never depends on the project's image: the DNS controller runs apart.
    const names = async (name: string) =>
      ((await get(host, 'apps/v1', 'Deployment', name, NS))?.spec.template.spec.containers ?? []).map(
        (c: { name: string }) => c.name,
      );
    expect(await names(`${FED}-controller-manager`)).toEqual(['controller-manager', 'kube-controller-manager']);
    expect(await names(`${FED}-dns-controller`)).toEqual(['dns-controller']);
    expect(await names(`${FED}-external-dns`)).toEqual(['external-dns']);
    expect(
      await get(federation, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'dnsendpoints.externaldns.k8s.io'),
    ).toBeDefined();
    expect(corefile).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa');
    const merged = (await get(lindon(), 'v1', 'ConfigMap', 'coredns', 'kube-system'))?.data?.Corefile as string;
    expect(merged.startsWith(corefile)).toBe(true);
    expect(merged).toContain(`forward . ${home.info.dns}`);
  });

  test('google-clouddns and aws-route53: the real external-dns takes the rendered flags and stops only for want of cloud credentials', async () => {
    // external-dns's own identity's kubeconfig, at the federation's outside address (the pod's is in-cluster).
    const dir = mkdtempSync(join(tmpdir(), 'kubefed-external-dns-'));
    const outside = yaml.load(readFileSync(first.outputs.kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
    };
    const secret = await get(
      clientFor('eriador', home.kubeconfigPath),
      'v1',
      'Secret',
      `${FED}-external-dns-kubeconfig`,
      NS,
    );
    const inside = yaml.load(Buffer.from(secret?.data.kubeconfig, 'base64').toString()) as typeof outside;
    inside.clusters[0].cluster.server = outside.clusters[0].cluster.server;
    writeFileSync(join(dir, 'kubeconfig'), yaml.dump(inside), { mode: 0o600 });
    const bin = ensureBinaries();
    for (const [provider, config, refusal] of [
      ['google-clouddns', '[Global]\nproject-id = middle-earth\n', /google: could not find default credentials/],
      [
        'aws-route53',
        '',
        /(no EC2 IMDS role found|failed to refresh cached credentials|NoCredentialProviders|get credentials)/i,
      ],
    ] as const) {
      const spec = parseSpec(
        (n) => ({ ...inputs(''), 'dns-provider': provider, 'dns-provider-config': config })[n] ?? '',
        { readFile: () => '' },
      );
      const args = externalDnsArgs(spec).map((a) =>
        a.startsWith('--kubeconfig=') ? `--kubeconfig=${join(dir, 'kubeconfig')}` : a,
      );
      expect(args).toContain(provider === 'google-clouddns' ? '--provider=google' : '--provider=aws');
      const run = spawnSync(join(bin, 'external-dns'), [...args, '--once'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', HOME: dir, AWS_EC2_METADATA_DISABLED: 'true' },
      });
      const output = `${run.stdout}${run.stderr}`;
      expect(output).not.toMatch(/unknown flag|unknown long flag|error parsing|required flag/i);
      expect(output).toMatch(refusal);
      expect(run.status).not.toBe(0);
    }
  });

  test('a FederatedService on two members resolves to both members\u2019 addresses, and each member\u2019s name to its own', async () => {
    await federation.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedNamespace',
      metadata: { name: 'shop', namespace: 'shop' },
      spec: { placement: { clusters: [{ name: 'lindon' }, { name: 'fornost' }] } },
    } as KubernetesObject);
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedService',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        placement: { clusters: [{ name: 'lindon' }, { name: 'fornost' }] },
        template: {
          spec: {
            type: 'LoadBalancer',
            selector: { app: 'web' },
            ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
          },
        },
      },
    } as KubernetesObject);
    const [atLindon, atFornost] = [await addressOf(lindon()), await addressOf(fornost())];
    expect(atLindon).not.toBe(atFornost);
    await eventually(
      () => answers(providerDns(), global),
      (a) => JSON.stringify(a) === JSON.stringify([atLindon, atFornost].sort()),
      90_000,
    );
    expect(await answers(providerDns(), 'web.shop.arnor.svc.lindon.example.com')).toEqual([atLindon]);
    expect(await answers(providerDns(), 'web.shop.arnor.svc.fornost.example.com')).toEqual([atFornost]);
  });

  test('a same-named DNSEndpoint the DNS controller does not own: its create is refused and reported in its status ConfigMap, the rest goes on', async () => {
    const theirs = { name: 'aaa', namespace: 'shop' };
    // The namespace is the earlier tests' (made here when this one runs alone).
    await federation.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }).catch(() => undefined);
    await federation.create({
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: theirs,
      spec: { endpoints: [{ dnsName: 'someone.example.org', recordType: 'A', targets: ['192.0.2.1'] }] },
    } as KubernetesObject);
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedService',
      metadata: theirs,
      spec: {
        placement: { clusters: [{ name: 'lindon' }] },
        template: { spec: { type: 'LoadBalancer', selector: { app: 'aaa' }, ports: [{ port: 81, protocol: 'TCP' }] } },
      },
    } as KubernetesObject);
    const status = await eventually(
      () => get(federation, 'v1', 'ConfigMap', `${FED}-dns-controller`, NS),
      (cm) => /^shop\/aaa: .*create DNSEndpoint shop\/aaa: HTTP 409/m.test(cm?.data?.['failed-writes'] ?? ''),
      90_000,
    );
    expect(status?.metadata?.labels).toMatchObject({ 'kubefed-action.io/federation': FED });
    const endpoint = await get(federation, 'externaldns.k8s.io/v1alpha1', 'DNSEndpoint', 'aaa', 'shop');
    expect(endpoint?.spec.endpoints[0].dnsName).toBe('someone.example.org');
    expect(endpoint?.metadata?.labels).toBeUndefined();
    // The later tests (placement changes followed, names withdrawn) run with this refusal in place.
  });

  test('inside the CoreDNS member, <svc>.<ns>.<fed>.svc.cluster.local answers the federated addresses through the merged Corefile', async () => {
    // The member's own cluster DNS (kubeadm's CoreDNS Deployment, reloading the Corefile join
    // merged; the real CoreDNS refuses a bad one), reached from this machine through a
    // LoadBalancer Service of its own beside kube-dns.
    const labels = { 'k8s-app': 'kube-dns' };
    await lindon().create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns-outside', namespace: 'kube-system' },
      spec: {
        type: 'LoadBalancer',
        selector: labels,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      },
    } as KubernetesObject);
    const clusterDns = `${await eventually(async () => (await get(lindon(), 'v1', 'Service', 'kube-dns-outside', 'kube-system'))?.status?.loadBalancer?.ingress?.[0]?.ip, Boolean, 60_000)}:53`;
    const expected = [await addressOf(lindon()), await addressOf(fornost())].sort();
    // The kubelet updates the ConfigMap's file within its sync period, and CoreDNS's reload
    // plugin reads it within 30 s (plus jitter).
    const local = await eventually(
      () => answers(clusterDns, 'web.shop.arnor.svc.cluster.local'),
      (a) => Array.isArray(a),
      150_000,
    );
    expect(local).toEqual(expected);
  });

  test('placement changed to one member: the global name answers that member alone', async () => {
    const atLindon = await addressOf(lindon());
    await place('lindon');
    await eventually(
      () => answers(providerDns(), global),
      (a) => JSON.stringify(a) === JSON.stringify([atLindon]),
      90_000,
    );
    expect(await answers(providerDns(), 'web.shop.arnor.svc.fornost.example.com')).toBe('ENOTFOUND');
    await place('lindon', 'fornost');
    await eventually(
      () => answers(providerDns(), global),
      (a) => Array.isArray(a) && a.length === 2,
      90_000,
    );
  });

  test('the federation API server restarted: the DNS controller watches again and follows the next change', async () => {
    const host = clientFor('eriador', home.kubeconfigPath);
    const pods = await host.list(
      'v1',
      'Pod',
      NS,
      undefined,
      undefined,
      undefined,
      undefined,
      'module=federation-apiserver',
    );
    for (const pod of pods.items)
      await host.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata?.name, namespace: NS } });
    // A real kubelet stops the old Pod gracefully: it answers until it is gone, so the federation
    // API counts as back only once the old Pods are.
    for (const pod of pods.items)
      await eventually(
        () => get(host, 'v1', 'Pod', pod.metadata?.name as string, NS),
        (p) => p === undefined,
        120_000,
        1000,
      );
    await eventually(() => get(federation, 'v1', 'Namespace', 'shop').catch(() => undefined), Boolean, 120_000, 1000);
    const atFornost = await addressOf(fornost());
    await place('fornost');
    await eventually(
      () => answers(providerDns(), global),
      (a) => JSON.stringify(a) === JSON.stringify([atFornost]),
      120_000,
    );
    await place('lindon', 'fornost');
    await eventually(
      () => answers(providerDns(), global),
      (a) => Array.isArray(a) && a.length === 2,
      90_000,
    );
  });

  test('a member stopped: KubeFed marks it offline and its address leaves the global answer', async () => {
    const atLindon = await addressOf(lindon());
    away.stop();
    await eventually(
      () => answers(providerDns(), global),
      (a) => JSON.stringify(a) === JSON.stringify([atLindon]),
      120_000,
      1000,
    );
  });

  test('the FederatedService deleted: its names are gone (NXDOMAIN)', async () => {
    await federation.delete({
      apiVersion: TYPES,
      kind: 'FederatedService',
      metadata: { name: 'web', namespace: 'shop' },
    });
    await eventually(
      () => answers(providerDns(), global),
      (a) => a === 'ENOTFOUND',
      90_000,
    );
    expect(await answers(providerDns(), 'web.shop.arnor.svc.lindon.example.com')).toBe('ENOTFOUND');
  });

  test('destroy withdraws the published records before their publisher goes, and restores the member\u2019s Corefile byte for byte', async () => {
    // A federated Service on lindon, published when destroy starts: an A record and its TXT owner record.
    await federation.create({
      apiVersion: TYPES,
      kind: 'FederatedService',
      metadata: { name: 'gate', namespace: 'shop' },
      spec: {
        placement: { clusters: [{ name: 'lindon' }] },
        template: { spec: { type: 'LoadBalancer', selector: { app: 'gate' }, ports: [{ port: 80, protocol: 'TCP' }] } },
      },
    } as KubernetesObject);
    const gate = 'gate.shop.arnor.svc.example.com';
    const atLindon = await eventually(
      async () => (await get(lindon(), 'v1', 'Service', 'gate', 'shop'))?.status?.loadBalancer?.ingress?.[0]?.ip,
      Boolean,
      90_000,
    );
    await eventually(
      () => answers(providerDns(), gate),
      (a) => JSON.stringify(a) === JSON.stringify([atLindon]),
      90_000,
    );
    expect(await txt(providerDns(), `a-${gate}`)).toContain('external-dns/owner=arnor');

    // fornost is stopped: it cannot be unjoined, so only force takes the federation down.
    const run = runAction({ ...inputs('- lindon\n- fornost\n'), mode: 'destroy', force: 'true' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.outputs['unjoined-clusters'] ?? '[]').sort()).toEqual(['fornost', 'lindon']);
    expect(run.log).toContain('it leaves the federation (force), but these stay on the cluster');
    const withdrawn = run.log.indexOf('every DNS record of the federation is withdrawn');
    expect(withdrawn).toBeGreaterThan(-1);
    expect(withdrawn).toBeLessThan(run.log.indexOf('delete Namespace'));
    // Gone from the provider by the time destroy is done: the global, per-member and owner records.
    expect(await answers(providerDns(), gate)).toBe('ENOTFOUND');
    expect(await answers(providerDns(), 'gate.shop.arnor.svc.lindon.example.com')).toBe('ENOTFOUND');
    expect(await txt(providerDns(), `a-${gate}`)).toBe('ENOTFOUND');
    expect((await get(lindon(), 'v1', 'ConfigMap', 'coredns', 'kube-system'))?.data?.Corefile).toBe(corefile);
    expect(await get(clientFor('eriador', home.kubeconfigPath), 'v1', 'Namespace', NS)).toBeUndefined();
  });
});
