// Unit tests of what join makes (pure manifests) and of the kube-dns merge.
import { describe, expect, test } from '@jest/globals';
import { Spec, parseSpec } from '../src/inputs/spec.js';
import {
  federationMemberObjects,
  leftInMember,
  memberAccess,
  memberNames,
  memberObjects,
} from '../src/desired/member-objects.js';
import { planKubeDns, withFederation, withoutFederation } from '../src/plan/kube-dns.js';
import { KubeObject } from '../src/desired/objects.js';

function spec(inputs: Record<string, string> = {}): Spec {
  const all: Record<string, string> = {
    'federation-name': 'fellowship',
    'host-cluster-context': 'rivendell',
    'dns-provider': 'coredns',
    'dns-zone-name': 'example.com.',
    ...inputs,
  };
  return parseSpec((n) => all[n] ?? '', { readFile: () => '' });
}
const ours = { 'app.kubernetes.io/managed-by': 'kubefed-action', 'kubefed-action.io/federation': 'fellowship' };
const configMap = (data: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'kube-dns', namespace: 'kube-system', resourceVersion: '42', labels },
  data,
});

describe('the federations entry of kube-dns', () => {
  test('is added beside the entries of other federations, and replaced in place', () => {
    expect(withFederation(undefined, 'fellowship', 'example.com')).toBe('fellowship=example.com');
    expect(withFederation('mordor=evil.org', 'fellowship', 'example.com')).toBe(
      'mordor=evil.org,fellowship=example.com',
    );
    expect(withFederation('fellowship=old.com, mordor=evil.org', 'fellowship', 'example.com')).toBe(
      'fellowship=example.com,mordor=evil.org',
    );
  });

  test('unjoin removes only its own entry', () => {
    expect(withoutFederation('mordor=evil.org,fellowship=example.com', 'fellowship')).toBe('mordor=evil.org');
    expect(withoutFederation('fellowship=example.com', 'fellowship')).toBe('');
  });
});

describe('planKubeDns', () => {
  test('a member with neither ConfigMap gets a kube-dns ConfigMap naming the zone without its root dot', () => {
    const { step } = planKubeDns(spec(), 'gondor', {}, true);
    expect(step?.action).toBe('create');
    expect(step?.object.data).toEqual({ federations: 'fellowship=example.com' });
    expect(step?.object.metadata.labels).toEqual(ours);
  });

  test("a CoreDNS member gets the federation's server block merged into its Corefile, from the version it was read at", () => {
    const coreDns = (Corefile?: string): KubeObject => ({
      ...configMap(Corefile === undefined ? {} : { Corefile }),
      metadata: { name: 'coredns', namespace: 'kube-system', resourceVersion: '7' },
    });
    const plan = planKubeDns(
      spec(),
      'noldor',
      { coreDns: coreDns('.:53 {\n    forward . /etc/resolv.conf\n}\n') },
      true,
    );
    expect(plan.warning).toBeUndefined();
    expect(plan.step).toMatchObject({
      action: 'update',
      object: { metadata: { name: 'coredns', resourceVersion: '7' } },
    });
    const merged = plan.step?.dataPatch?.Corefile ?? '';
    expect(merged.startsWith('.:53 {\n    forward . /etc/resolv.conf\n}\n')).toBe(true);
    expect(merged).toContain('fellowship.svc.cluster.local:53 {');
    // Joined already: nothing to do; unjoined: the original, byte for byte.
    expect(planKubeDns(spec(), 'noldor', { coreDns: coreDns(merged) }, true)).toEqual({});
    expect(planKubeDns(spec(), 'noldor', { coreDns: coreDns(merged) }, false).step?.dataPatch).toEqual({
      Corefile: '.:53 {\n    forward . /etc/resolv.conf\n}\n',
    });
    // A ConfigMap without a Corefile is left alone, with a warning.
    expect(planKubeDns(spec(), 'noldor', { coreDns: coreDns() }, true).warning).toMatch(/has no Corefile/);
  });

  test('an existing ConfigMap is patched, key by key, from the resourceVersion it was read at', () => {
    const { step } = planKubeDns(
      spec(),
      'gondor',
      { kubeDns: configMap({ federations: 'mordor=evil.org', stubDomains: '{}' }) },
      true,
    );
    expect(step).toMatchObject({
      action: 'update',
      dataPatch: { federations: 'mordor=evil.org,fellowship=example.com' },
    });
    expect(step?.object.metadata.resourceVersion).toBe('42');
  });

  test('nothing is planned when the entry is there', () => {
    expect(
      planKubeDns(spec(), 'gondor', { kubeDns: configMap({ federations: 'fellowship=example.com' }) }, true).step,
    ).toBeUndefined();
    expect(
      planKubeDns(spec(), 'gondor', { kubeDns: configMap({ federations: 'mordor=evil.org' }) }, false).step,
    ).toBeUndefined();
  });

  test('unjoin deletes a ConfigMap only when the action made it and nothing else is in it', () => {
    expect(
      planKubeDns(spec(), 'gondor', { kubeDns: configMap({ federations: 'fellowship=example.com' }, ours) }, false).step
        ?.action,
    ).toBe('delete');
    const theirs = planKubeDns(
      spec(),
      'gondor',
      { kubeDns: configMap({ federations: 'fellowship=example.com' }) },
      false,
    ).step;
    expect(theirs).toMatchObject({ action: 'update', dataPatch: { federations: null } });
    const shared = planKubeDns(
      spec(),
      'gondor',
      { kubeDns: configMap({ federations: 'mordor=evil.org,fellowship=example.com' }, ours) },
      false,
    ).step;
    expect(shared).toMatchObject({ action: 'update', dataPatch: { federations: 'mordor=evil.org' } });
  });
});

describe('member objects', () => {
  test('an account, cluster-wide rights and an explicit token Secret in kube-system, named per federation and cluster', () => {
    const objects = memberObjects(spec(), 'gondor');
    expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      'ServiceAccount kubefed.fellowship.gondor',
      'ClusterRole kubefed-action:fellowship:gondor',
      'ClusterRoleBinding kubefed-action:fellowship:gondor',
      'Secret kubefed.fellowship.gondor.token',
    ]);
    const token = objects[3];
    expect(token.type).toBe('kubernetes.io/service-account-token');
    expect(token.metadata.annotations?.['kubernetes.io/service-account.name']).toBe('kubefed.fellowship.gondor');
    for (const o of objects) expect(o.metadata.labels).toEqual(ours);
  });

  test('the federation holds the member token and CA under the secret name, and a KubeFedCluster pointing at it', () => {
    const cluster = { name: 'noldor', context: 'noldor', secretName: '11kingdom' };
    const [secret, kfc] = federationMemberObjects(spec(), cluster, {
      endpoint: 'https://10.0.0.1:6443',
      caPem: 'CA PEM',
      insecure: false,
      token: 'T0KEN',
    });
    expect(secret.metadata).toMatchObject({ name: '11kingdom', namespace: 'federation-system' });
    expect(secret.data).toEqual({
      token: Buffer.from('T0KEN').toString('base64'),
      'ca.crt': Buffer.from('CA PEM').toString('base64'),
    });
    expect(kfc).toMatchObject({
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'KubeFedCluster',
      metadata: {
        name: 'noldor',
        namespace: 'federation-system',
        annotations: { 'kubefed-action.io/context': 'noldor' },
      },
      spec: {
        apiEndpoint: 'https://10.0.0.1:6443',
        caBundle: Buffer.from('CA PEM').toString('base64'),
        secretRef: { name: '11kingdom' },
      },
    });
    const [, insecure] = federationMemberObjects(spec(), cluster, { endpoint: 'https://x', insecure: true, token: '' });
    expect(insecure.spec).toEqual(expect.objectContaining({ disabledTLSValidations: ['*'] }));
    expect(insecure.spec).not.toHaveProperty('caBundle');
  });
});

describe('member object names', () => {
  test('the KubeFedCluster carries a digest of the token its Secret holds: a new token changes it, and it never shows the token', () => {
    const cluster = { name: 'noldor', context: 'noldor', secretName: 'noldor' };
    const mark = (token: string) => {
      const [, kfc] = federationMemberObjects(spec(), cluster, { endpoint: 'https://x', insecure: false, token });
      return kfc.metadata.annotations?.['kubefed-action.io/credentials'];
    };
    expect(mark('T0KEN')).toMatch(/^[0-9a-f]{16}$/);
    expect(mark('T0KEN')).toBe(mark('T0KEN'));
    expect(mark('T0KEN-2')).not.toBe(mark('T0KEN'));
    const shown = JSON.stringify(
      federationMemberObjects(spec(), cluster, { endpoint: 'https://x', insecure: false, token: 'T0KEN' })[1],
    );
    expect(shown).not.toContain('T0KEN');
    expect(shown).not.toContain(Buffer.from('T0KEN').toString('base64'));
  });

  test('cannot collide between federations and clusters (federation a + cluster b-c, federation a-b + cluster c)', () => {
    const one = memberNames('a', 'b-c');
    const other = memberNames('a-b', 'c');
    for (const key of ['serviceAccount', 'tokenSecret', 'clusterRole'] as const) expect(one[key]).not.toBe(other[key]);
    // A cluster's token Secret never has the name of another cluster's ServiceAccount or Secret.
    expect(memberNames('a', 'b').tokenSecret).not.toBe(memberNames('a', 'b-token').serviceAccount);
  });
});

describe('what the federation records of a member it reaches', () => {
  const internalCa = '-----BEGIN CERTIFICATE-----\ninternal\n-----END CERTIFICATE-----\n';
  const kubeconfigCa = '-----BEGIN CERTIFICATE-----\nkubeconfig\n-----END CERTIFICATE-----\n';
  const token = { token: 't0k3n', caPem: internalCa };
  const kfcOf = (caPem?: string) =>
    federationMemberObjects(
      spec(),
      { name: 'gondor', context: 'gondor', secretName: 'gondor' },
      memberAccess('https://gondor.example.com', { caPem, insecure: false }, token),
    );

  test("the kubeconfig's CA for the member, when it names one", () => {
    const [secret, kfc] = kfcOf(kubeconfigCa);
    expect(Buffer.from((kfc.spec as { caBundle: string }).caBundle, 'base64').toString()).toBe(kubeconfigCa);
    expect(Buffer.from((secret.data as Record<string, string>)['ca.crt'], 'base64').toString()).toBe(kubeconfigCa);
  });

  test("a kubeconfig that trusts the system roots: no caBundle, never the member's internal CA", () => {
    const [secret, kfc] = kfcOf(undefined);
    expect(kfc.spec).not.toHaveProperty('caBundle');
    expect(secret.data).not.toHaveProperty('ca.crt');
    expect(JSON.stringify([secret, kfc])).not.toContain(Buffer.from(internalCa).toString('base64'));
    expect(memberAccess('https://g', { insecure: true }, token)).toEqual({
      endpoint: 'https://g',
      insecure: true,
      token: 't0k3n',
    });
  });
});

describe('what an unreachable member keeps when it leaves by force', () => {
  test('every object join made there, its DNS entry, and the commands that remove them', () => {
    const left = leftInMember('fellowship', 'gondor', 'example.com.');
    const n = memberNames('fellowship', 'gondor');
    for (const name of [
      `ServiceAccount kube-system/${n.serviceAccount}`,
      `Secret kube-system/${n.tokenSecret}`,
      `ClusterRole ${n.clusterRole}`,
      `ClusterRoleBinding ${n.clusterRole}`,
      'fellowship=example.com in ConfigMap kube-system/kube-dns',
      '"# kubefed-action federation fellowship: begin"',
      'ConfigMap kube-system/coredns',
      `kubectl -n kube-system delete serviceaccount/${n.serviceAccount} secret/${n.tokenSecret}`,
      `kubectl delete clusterrolebinding/${n.clusterRole} clusterrole/${n.clusterRole}`,
    ])
      expect(left).toContain(name);
    // Exactly what memberObjects makes in the member, no more, no less.
    expect(memberObjects(spec(), 'gondor').map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      `ServiceAccount ${n.serviceAccount}`,
      `ClusterRole ${n.clusterRole}`,
      `ClusterRoleBinding ${n.clusterRole}`,
      `Secret ${n.tokenSecret}`,
    ]);
  });
});
