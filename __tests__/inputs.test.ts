import { describe, expect, test } from '@jest/globals';
import { InputError, Spec, parseSpec } from '../src/inputs/spec.js';

const base: Record<string, string> = {
  'federation-name': 'fellowship',
  'host-cluster-context': 'rivendell',
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
};
const noFiles = {
  readFile: (p: string): string => {
    throw new Error(`no file ${p}`);
  },
};

function spec(inputs: Record<string, string>, deps = noFiles): Spec {
  const all = { ...base, ...inputs };
  return parseSpec((name) => all[name] ?? '', deps);
}

function problems(inputs: Record<string, string>): string[] {
  try {
    spec(inputs);
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('parseSpec', () => {
  test('applies the defaults of action.yml', () => {
    const s = spec({});
    expect(s.mode).toBe('apply');
    expect(s.namespace).toBe('federation-system');
    expect(s.apiServer.serviceType).toBe('LoadBalancer');
    expect(s.etcd).toEqual({
      image: 'registry.k8s.io/etcd:3.6.4-0',
      persistentStorage: true,
      capacity: '10Gi',
      storageClass: undefined,
    });
    expect(s.timeoutMs).toBe(300_000);
    expect(s.clusters).toEqual([]);
  });

  test('reads the guide example flags', () => {
    const s = spec({
      'apiserver-arg-overrides': '--anonymous-auth=false,--v=4',
      'controllermanager-arg-overrides': '--v=4',
      'api-server-service-type': 'NodePort',
      'api-server-advertise-address': '10.0.10.20',
      'etcd-persistent-storage': 'false',
      'apiserver-enable-token-auth': 'true',
      timeout: '1h30m',
    });
    expect(s.apiServer.argOverrides).toEqual([
      { name: '--anonymous-auth', value: 'false' },
      { name: '--v', value: '4' },
    ]);
    // The guide's --controllers=services=false is kubefed v1's; KubeFed refuses it (controlplane.test.ts).
    expect(s.controllerManager.argOverrides).toEqual([{ name: '--v', value: '4' }]);
    expect(s.apiServer.serviceType).toBe('NodePort');
    expect(s.apiServer.advertiseAddress).toBe('10.0.10.20');
    expect(s.etcd.persistentStorage).toBe(false);
    expect(s.apiServer.enableTokenAuth).toBe(true);
    expect(s.timeoutMs).toBe(5_400_000);
  });

  test('clusters as YAML with the guide naming overrides, and as one name per line', () => {
    expect(
      spec({ clusters: '- name: gondor\n  context: gondor_needs-no_king\n- name: noldor\n  secret-name: 11kingdom\n' })
        .clusters,
    ).toEqual([
      { name: 'gondor', context: 'gondor_needs-no_king', secretName: 'gondor' },
      { name: 'noldor', context: 'noldor', secretName: '11kingdom' },
    ]);
    expect(spec({ clusters: 'gondor\nnoldor\n' }).clusters.map((c) => c.name)).toEqual(['gondor', 'noldor']);
  });

  test('dns-provider-config: inline INI, or a file that is read', () => {
    expect(spec({ 'dns-provider-config': '[Global]\netcd-endpoints = http://etcd:2379' }).dns.providerConfig).toContain(
      'etcd-endpoints',
    );
    const fromFile = spec(
      { 'dns-provider-config': '/home/me/coredns-provider.conf' },
      { readFile: () => '[Global]\nzones = example.com.\n' },
    );
    expect(fromFile.dns.providerConfig).toBe('[Global]\nzones = example.com.\n');
  });

  test.each([
    [{ 'federation-name': 'Fellowship' }, 'federation-name: "Fellowship"'],
    [{ 'federation-name': '' }, 'federation-name: is required'],
    [{ 'host-cluster-context': '' }, 'host-cluster-context: is required'],
    [{ 'dns-zone-name': 'example.com' }, 'dns-zone-name: "example.com" must end with a dot'],
    [{ 'dns-provider': 'bind' }, 'dns-provider: "bind" is not one of google-clouddns, aws-route53, coredns'],
    [
      { 'api-server-service-type': 'ClusterIP' },
      'api-server-service-type: "ClusterIP" is not one of LoadBalancer, NodePort',
    ],
    [{ 'etcd-persistent-storage': 'yes' }, 'etcd-persistent-storage: "yes" is not true or false'],
    [{ timeout: '5 minutes' }, 'timeout: "5 minutes" is not a duration'],
    [{ mode: 'sync' }, 'mode: "sync" is not one of apply, plan, check, destroy'],
    [{ 'etcd-pv-capacity': 'ten' }, 'etcd-pv-capacity: "ten" is not a positive storage quantity'],
    [{ 'etcd-pv-capacity': '0' }, 'etcd-pv-capacity: "0" is not a positive storage quantity'],
    [{ timeout: '0s' }, 'timeout: "0s" must be between 1s and 6h'],
    [{ timeout: '99999999999h' }, 'timeout: "99999999999h" must be between 1s and 6h'],
    [{ image: '!!!' }, 'image: "!!!" is not a container image reference'],
    [
      { 'etcd-image': 'Registry.k8s.io/ETCD:3.6' },
      'etcd-image: "Registry.k8s.io/ETCD:3.6" is not a container image reference',
    ],
    [{ prune: 'true' }, 'prune: true with no clusters listed would unjoin every member'],
    [
      { 'apiserver-arg-overrides': 'anonymous-auth=false,--v=4' },
      'apiserver-arg-overrides: "anonymous-auth=false" is not of the form --flag=value',
    ],
    [
      { 'api-server-advertise-address': 'not an address' },
      'api-server-advertise-address: "not an address" is neither an IP address nor a DNS name',
    ],
    [
      { 'dns-provider-config': '/missing/file.conf' },
      'dns-provider-config: "/missing/file.conf" is neither inline INI content nor a readable file',
    ],
    [
      { clusters: '- name: gondor_needs-no_king' },
      'clusters: cluster name "gondor_needs-no_king" must be an RFC 1035 label',
    ],
    [
      { clusters: '- name: noldor\n  secret-name: 11_kingdom' },
      'clusters: secret name "11_kingdom" of cluster "noldor" must be an RFC 1123 subdomain',
    ],
    [{ clusters: 'gondor\ngondor' }, 'clusters: cluster "gondor" is listed twice'],
    [{ clusters: '- name: gondor\n  ctx: x' }, 'clusters: clusters[0] has unknown field(s) ctx'],
  ])('rejects %j naming the input', (inputs, message) => {
    expect(problems(inputs).join('\n')).toContain(message);
  });

  test('a cluster entry may name the endpoint the federation reaches it at: an https URL without credentials', () => {
    const s = spec({ clusters: '- name: gondor\n  endpoint: https://gondor-control-plane:6443\n- name: noldor\n' });
    expect(s.clusters).toEqual([
      { name: 'gondor', context: 'gondor', secretName: 'gondor', endpoint: 'https://gondor-control-plane:6443' },
      { name: 'noldor', context: 'noldor', secretName: 'noldor' },
    ]);
    for (const endpoint of ['http://gondor:6443', 'https://admin:secret@gondor:6443', 'gondor:6443']) {
      expect(problems({ clusters: `- name: gondor\n  endpoint: ${endpoint}\n` })).toEqual([
        `clusters: endpoint "${endpoint}" of cluster "gondor" is not an https:// URL without user name or password`,
      ]);
    }
  });

  test('override values may hold commas: the list splits only where a new --flag starts', () => {
    expect(
      spec({ 'apiserver-arg-overrides': '--enable-admission-plugins=NamespaceLifecycle,LimitRanger, --v=4' }).apiServer
        .argOverrides,
    ).toEqual([
      { name: '--enable-admission-plugins', value: 'NamespaceLifecycle,LimitRanger' },
      { name: '--v', value: '4' },
    ]);
  });

  test('prune with an explicitly empty list, images with registries, ports and digests', () => {
    expect(spec({ prune: 'true', clusters: '[]' }).clusters).toEqual([]);
    for (const image of [
      'registry.k8s.io/kube-apiserver:v1.34.4',
      'localhost:5000/k8s/kube-apiserver',
      `quay.io/kubernetes-multicluster/kubefed@sha256:${'a'.repeat(64)}`,
      'nginx',
    ]) {
      expect(spec({ 'etcd-image': image }).etcd.image).toBe(image);
    }
  });

  test('reports every problem at once', () => {
    expect(problems({ 'federation-name': 'Bad_Name', 'dns-zone-name': 'example.com', mode: 'x' })).toHaveLength(3);
  });

  test('basic auth: accepted for images before 1.19, refused for 1.19 and later', () => {
    expect(
      spec({ 'apiserver-enable-basic-auth': 'true', image: 'gcr.io/google_containers/hyperkube-amd64:v1.7.0' })
        .apiServer.enableBasicAuth,
    ).toBe(true);
    expect(problems({ 'apiserver-enable-basic-auth': 'true' }).join()).toContain(
      'is Kubernetes 1.34, which removed basic auth (1.19+)',
    );
    expect(problems({ 'apiserver-enable-basic-auth': 'true', image: 'my/apiserver:latest' }).join()).toContain(
      'cannot tell the Kubernetes version',
    );
  });
});
