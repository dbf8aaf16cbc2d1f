// Unit tests of what `kubefedctl federate` makes of an object (pure): template, placement, name,
// namespace, and which type a command-line name means.
import { describe, expect, it } from '@jest/globals';
import { federatedObject } from '../src/desired/federated-object.js';
import { KNOWN_TYPES, findType } from '../src/desired/federated-types.js';
import type { KubeObject } from '../src/desired/objects.js';

const everywhere = { clusterSelector: { matchLabels: {} } };
const serverSet = {
  uid: '0b5c3c1e-7f3a-4c55-9f0e-5d7a3c9c1a11',
  resourceVersion: '4711',
  generation: 3,
  creationTimestamp: '2024-05-01T10:00:00Z',
  selfLink: '/apis/apps/v1/namespaces/shop/deployments/web',
  managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
  ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 'x', uid: 'u' }],
  finalizers: ['example.com/hold'],
  generateName: 'web-',
};

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    labels: { app: 'web' },
    annotations: { 'deployment.kubernetes.io/revision': '2', note: 'mine' },
    ...serverSet,
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  },
  status: { replicas: 2, readyReplicas: 2, observedGeneration: 3 },
};

describe('federatedObject', () => {
  it('makes a FederatedDeployment of a Deployment: its spec and labels as template, on every cluster', () => {
    const before = structuredClone(deployment);
    expect(federatedObject(deployment, KNOWN_TYPES['deployments.apps'])).toEqual({
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedDeployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        template: { metadata: { labels: { app: 'web' } }, spec: deployment.spec },
        placement: everywhere,
      },
    });
    expect(deployment).toEqual(before);
  });

  it('makes a FederatedConfigMap whose template has no metadata when the ConfigMap has no labels', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'shop', labels: {}, annotations: { a: 'b' }, uid: 'u' },
      data: { 'app.conf': 'x=1' },
      binaryData: { blob: 'AAE=' },
      immutable: true,
    };
    const fed = federatedObject(cm, KNOWN_TYPES.configmaps);
    expect(fed).toEqual({
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedConfigMap',
      metadata: { name: 'settings', namespace: 'shop' },
      spec: {
        template: { data: { 'app.conf': 'x=1' }, binaryData: { blob: 'AAE=' }, immutable: true },
        placement: everywhere,
      },
    });
  });

  it('puts a FederatedNamespace in the namespace it federates, without the API server\u2019s finalizer', () => {
    const ns: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop', team: 'a' }, uid: 'u' },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    expect(federatedObject(ns, KNOWN_TYPES.namespaces)).toEqual({
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedNamespace',
      metadata: { name: 'shop', namespace: 'shop' },
      spec: {
        template: { metadata: { labels: { 'kubernetes.io/metadata.name': 'shop', team: 'a' } }, spec: {} },
        placement: everywhere,
      },
    });
  });

  it('gives a cluster-scoped type\u2019s federated object no namespace', () => {
    const role: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader', namespace: 'ignored', uid: 'u' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    };
    const fed = federatedObject(role, KNOWN_TYPES['clusterroles.rbac.authorization.k8s.io']);
    expect(fed.kind).toBe('FederatedClusterRole');
    expect(fed.metadata).toEqual({ name: 'reader' });
    expect(fed.spec).toEqual({ template: { rules: role.rules }, placement: everywhere });
  });

  it('drops what each cluster allocates: a Service\u2019s IPs and node ports, a ServiceAccount\u2019s secrets', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.12',
        clusterIPs: ['10.96.0.12'],
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
      },
    };
    expect((federatedObject(svc, KNOWN_TYPES.services).spec as { template: unknown }).template).toEqual({
      spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    const sa: KubeObject = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'robot', namespace: 'shop' },
      secrets: [{ name: 'robot-token-abcde' }],
      automountServiceAccountToken: false,
    };
    expect((federatedObject(sa, KNOWN_TYPES.serviceaccounts).spec as { template: unknown }).template).toEqual({
      automountServiceAccountToken: false,
    });
  });

  it('refuses an object of another kind than the type', () => {
    expect(() => federatedObject(deployment, KNOWN_TYPES.configmaps)).toThrow(
      'a Deployment cannot be federated as a ConfigMap',
    );
  });
});

describe('the type a name means, without asking a server (kubefedctl\u2019s default ten)', () => {
  it('accepts kubefedctl\u2019s forms: plural, group-qualified plural, kind, singular, short name', () => {
    for (const name of ['deployments', 'deployments.apps', 'Deployment', 'deployment', 'deploy', 'DEPLOY']) {
      expect(findType(name)).toBe(KNOWN_TYPES['deployments.apps']);
    }
    expect(findType('cm')).toBe(KNOWN_TYPES.configmaps);
    expect(findType('configmaps')).toBe(KNOWN_TYPES.configmaps);
    expect(findType('ns')).toBe(KNOWN_TYPES.namespaces);
  });

  it('leaves any other name to the federation API\u2019s discovery', () => {
    expect(findType('widgets')).toBeUndefined();
    expect(findType('deployments.extensions')).toBeUndefined();
  });
});
