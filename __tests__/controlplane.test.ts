import { describe, expect, test } from '@jest/globals';
import * as yaml from 'js-yaml';
import { KUBEFED_CONFIG_HASH_ANNOTATION, controllerManagerArgs } from '../src/desired/controllers.js';
import { kubeFedConfig } from '../src/desired/federation-objects.js';
import { apiServerArgs } from '../src/desired/api-server.js';
import { addressObjects, etcdClaim, mergeFlags, retiredHostObjects } from '../src/desired/control-plane.js';
import { hostObjects } from '../src/desired/host-objects.js';
import { InputError, Spec, parseSpec } from '../src/inputs/spec.js';
import {
  HASH_ANNOTATION,
  KubeObject,
  canonicalJson,
  madeByThisFederation,
  sha256,
  withAppliedHash,
} from '../src/desired/objects.js';

function spec(inputs: Record<string, string> = {}): Spec {
  const all: Record<string, string> = {
    'federation-name': 'fellowship',
    'host-cluster-context': 'rivendell',
    'dns-provider': 'google-clouddns',
    'dns-zone-name': 'example.com.',
    ...inputs,
  };
  return parseSpec((n) => all[n] ?? '', { readFile: () => '' });
}
const credentials = {
  'ca.crt': 'CA',
  'controller-manager.crt': 'CM',
  'controller-manager.key': 'KEY',
  'kube-controller-manager.crt': 'KCM',
  'kube-controller-manager.key': 'KCMKEY',
  'webhook.crt': 'WH',
  'webhook.key': 'WHKEY',
  'webhook-client.crt': 'WHC',
  'webhook-client.key': 'WHCKEY',
  'dns.crt': 'DNS',
  'dns.key': 'DNSKEY',
  'external-dns.crt': 'XDNS',
  'external-dns.key': 'XDNSKEY',
};
const find = (objects: KubeObject[], kind: string, name: string) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests walk manifests by path
  objects.find((o) => o.kind === kind && o.metadata.name === name) as KubeObject & Record<string, any>;

describe('host objects', () => {
  test('the etcd claim is the one the guide shows', () => {
    const guide = yaml.load(`apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  annotations:
    volume.alpha.kubernetes.io/storage-class: "yes"
  labels:
    app: federated-cluster
  name: fellowship-federation-apiserver-etcd-claim
  namespace: federation-system
spec:
  accessModes:
  - ReadWriteOnce
  resources:
    requests:
      storage: 10Gi
`) as object;
    expect(etcdClaim(spec())).toMatchObject(guide);
    expect(etcdClaim(spec({ 'etcd-pv-capacity': '20Gi', 'etcd-pv-storage-class': 'fast' })).spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
      storageClassName: 'fast',
    });
  });

  test('persistent storage off: no claim, an emptyDir', () => {
    const objects = hostObjects({
      spec: spec({ 'etcd-persistent-storage': 'false' }),
      credentials,
      address: '1.2.3.4',
    });
    expect(objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(find(objects, 'Deployment', 'fellowship-apiserver').spec.template.spec.volumes[1]).toEqual({
      name: 'etcd-data',
      emptyDir: {},
    });
  });

  test('service type and advertise address', () => {
    expect(
      find(addressObjects(spec({ 'api-server-service-type': 'NodePort' })), 'Service', 'fellowship-apiserver').spec
        .type,
    ).toBe('NodePort');
    expect(find(addressObjects(spec()), 'Service', 'fellowship-apiserver').spec.type).toBe('LoadBalancer');
    expect(apiServerArgs(spec(), '10.0.10.20')).toContain('--advertise-address=10.0.10.20');
    expect(apiServerArgs(spec(), 'lb.example').some((a) => a.startsWith('--advertise-address'))).toBe(false);
  });

  test('every object carries the applied hash and the ownership labels; the shared namespace names no federation', () => {
    for (const o of [...addressObjects(spec()), ...hostObjects({ spec: spec(), credentials, address: '1.2.3.4' })]) {
      expect(o.metadata.annotations?.[HASH_ANNOTATION]).toMatch(/^[0-9a-f]{32}$/);
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('kubefed-action');
      expect(o.metadata.labels?.['kubefed-action.io/federation']).toBe(
        o.kind === 'Namespace' ? undefined : 'fellowship',
      );
    }
  });

  test('the namespace the action makes enforces Pod Security "restricted", at a pinned version', () => {
    expect(find(addressObjects(spec()), 'Namespace', 'federation-system').metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'kubefed-action',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.34',
    });
  });

  test("an older release's objects are removed only when they carry this federation's marks", () => {
    const [account] = retiredHostObjects(spec());
    expect(account.metadata.name).toBe('fellowship-controller-manager');
    const marked = withAppliedHash(account);
    expect(madeByThisFederation(marked, 'fellowship')).toBe(true);
    expect(madeByThisFederation(marked, 'rohan')).toBe(false);
    expect(madeByThisFederation(account, 'fellowship')).toBe(false);
    const unlabelled = { ...marked, metadata: { ...marked.metadata, labels: {} } };
    expect(madeByThisFederation(unlabelled, 'fellowship')).toBe(false);
  });

  test("KubeFed's controller manager names the KubeFedConfig it starts with: a change of it (a feature gate) rolls it", () => {
    const annotations = (s: Spec) =>
      find(hostObjects({ spec: s, credentials, address: '1.2.3.4' }), 'Deployment', 'fellowship-controller-manager')
        .spec.template.metadata.annotations;
    const config = (s: Spec) => sha256(canonicalJson(kubeFedConfig(s).spec)).slice(0, 32);
    expect(annotations(spec())).toMatchObject({ [KUBEFED_CONFIG_HASH_ANNOTATION]: config(spec()) });
    const elsewhere = spec({ 'federation-system-namespace': 'elsewhere' });
    expect(kubeFedConfig(elsewhere).spec).toEqual(kubeFedConfig(spec()).spec);
    expect(kubeFedConfig(spec()).spec).toMatchObject({
      featureGates: expect.arrayContaining([{ name: 'RawResourceStatusCollection', configuration: 'Enabled' }]),
    });
  });

  test('a new certificate rolls the API server (its template changes)', () => {
    const template = (c: Record<string, string>) =>
      find(hostObjects({ spec: spec(), credentials: c, address: '1.2.3.4' }), 'Deployment', 'fellowship-apiserver').spec
        .template;
    expect(template(credentials)).not.toEqual(template({ ...credentials, 'server.crt': 'NEW' }));
  });
});

describe('flags', () => {
  test('overrides replace flags by name in place and append new ones', () => {
    expect(
      mergeFlags(
        ['--a=1', '--b=2', '--flag'],
        [
          { name: '--b', value: '3' },
          { name: '--c', value: '4' },
          { name: '--flag', value: 'x' },
        ],
      ),
    ).toEqual(['--a=1', '--b=3', '--flag=x', '--c=4']);
  });

  test('token auth and overrides reach the API server', () => {
    const args = apiServerArgs(
      spec({ 'apiserver-enable-token-auth': 'true', 'apiserver-arg-overrides': '--anonymous-auth=false,--v=4' }),
      '1.2.3.4',
    );
    expect(args).toContain('--token-auth-file=/etc/federation/apiserver/token.csv');
    expect(args).toContain('--anonymous-auth=false');
    expect(args).toContain('--v=4');
  });

  test('the KubeFed controller manager gets only flags it has; an unknown one is an input error', () => {
    const args = controllerManagerArgs(spec({ 'controllermanager-arg-overrides': '--v=4,--rest-config-qps=50' }));
    expect(args).toEqual([
      '--kubefed-namespace=federation-system',
      '--kubeconfig=/etc/federation/controller-manager/kubeconfig',
      '--healthz-addr=:8080',
      '--metrics-addr=:9090',
      '--v=4',
      '--rest-config-qps=50',
    ]);
    expect(() => spec({ 'controllermanager-arg-overrides': '--federation-name=fellowship' })).toThrow(InputError);
    expect(() => spec({ 'controllermanager-arg-overrides': '--federation-name=fellowship' })).toThrow(
      /--federation-name is not a flag of the KubeFed controller manager/,
    );
  });
});
