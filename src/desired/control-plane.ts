// The federation control plane on the host cluster (what `kubefed init` created), as pure
// functions from the spec to manifests.
import * as yaml from 'js-yaml';
import type { Flag, Spec } from '../inputs/spec.js';
import { FILES } from './credentials.js';
import {
  FEDERATION_LABEL,
  FIELD_MANAGER,
  KubeObject,
  MANAGED_BY_LABEL,
  base64,
  ownedBy,
  withAppliedHash,
} from './objects.js';

export const API_SERVER_PORT = 443;
export const API_SERVER_CONTAINER_PORT = 8443;
export const CREDENTIALS_DIR = '/etc/federation/apiserver';

/** The names of the host objects, all derived from the federation name. */
export function hostNames(federation: string) {
  return {
    apiServer: `${federation}-apiserver`,
    credentials: `${federation}-apiserver-credentials`,
    etcdClaim: `${federation}-federation-apiserver-etcd-claim`,
    dnsProviderConfig: `${federation}-dns-provider-config`,
    controllerManager: `${federation}-controller-manager`,
    controllerManagerKubeconfig: `${federation}-controller-manager-kubeconfig`,
    kubeControllerManagerKubeconfig: `${federation}-kube-controller-manager-kubeconfig`,
    webhook: `${federation}-webhook`,
    webhookServingCert: `${federation}-webhook-serving-cert`,
    webhookKubeconfig: `${federation}-webhook-kubeconfig`,
    dnsController: `${federation}-dns-controller`,
    dnsKubeconfig: `${federation}-dns-kubeconfig`,
    externalDns: `${federation}-external-dns`,
    externalDnsKubeconfig: `${federation}-external-dns-kubeconfig`,
  };
}

/** The federation API at its in-cluster name, as the controllers reach it from their pods. */
export function inClusterServer(spec: Spec): string {
  return `https://${hostNames(spec.federationName).apiServer}.${spec.namespace}.svc:${API_SERVER_PORT}`;
}

/** The labels the guide gives the control plane, plus the action's ownership labels. */
function labels(spec: Spec, module?: string): Record<string, string> {
  return { app: 'federated-cluster', ...(module ? { module } : {}), ...ownedBy(spec.federationName) };
}

export function meta(spec: Spec, name: string, module?: string) {
  return { name, namespace: spec.namespace, labels: labels(spec, module) };
}

/** The Pod Security level the action's namespace enforces, at the version its Pods were checked against. */
export const POD_SECURITY_LABELS = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'v1.34',
} as const;

/**
 * Several federations may share the namespace (the default is the same for all), so it carries
 * no federation label: each would otherwise set its own on every run. Every Pod the action
 * deploys passes Pod Security "restricted", and the namespace enforces it for all others.
 */
function namespace(spec: Spec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: spec.namespace, labels: { [MANAGED_BY_LABEL]: FIELD_MANAGER, ...POD_SECURITY_LABELS } },
  };
}

function apiServerService(spec: Spec): KubeObject {
  const n = hostNames(spec.federationName);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(spec, n.apiServer, 'federation-apiserver'),
    spec: {
      type: spec.apiServer.serviceType,
      selector: podLabels(spec, 'federation-apiserver'),
      ports: [{ name: 'https', protocol: 'TCP', port: API_SERVER_PORT, targetPort: API_SERVER_CONTAINER_PORT }],
    },
  };
}

/**
 * What must exist before the rest can be built: the Service's address goes into the serving
 * certificate, so the namespace and Service come first.
 */
export function addressObjects(spec: Spec): KubeObject[] {
  return [namespace(spec), apiServerService(spec)].map(withAppliedHash);
}

/** Everything on the host once the API server's address and credentials are known. */
export interface ControlPlaneInputs {
  spec: Spec;
  /** Credentials Secret data (file name → content). */
  credentials: Record<string, string>;
  /** The host (IP or DNS name) that clients reach the federation API at. */
  address: string;
}

export function secret(spec: Spec, name: string, files: Record<string, string>, module?: string): KubeObject {
  const data = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, base64(v)]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(spec, name, module), type: 'Opaque', data };
}

export function credentialsSecret({ spec, credentials }: ControlPlaneInputs): KubeObject {
  return secret(spec, hostNames(spec.federationName).credentials, credentials, 'federation-apiserver');
}

/** The etcd claim exactly as the guide shows it, with the capacity and class inputs. */
export function etcdClaim(spec: Spec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      ...meta(spec, hostNames(spec.federationName).etcdClaim),
      annotations: { 'volume.alpha.kubernetes.io/storage-class': 'yes' },
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: spec.etcd.capacity } },
      ...(spec.etcd.storageClass ? { storageClassName: spec.etcd.storageClass } : {}),
    },
  };
}

/**
 * What an older release made on the host and nothing uses any more: a ServiceAccount and Role
 * for KubeFed's controller manager (configmaps, events, leases on the host), which acts only in
 * the federation API, with its own certificate. Removed when they carry this federation's marks.
 */
export function retiredHostObjects(spec: Spec): KubeObject[] {
  const name = hostNames(spec.federationName).controllerManager;
  const rbac = 'rbac.authorization.k8s.io/v1';
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(spec, name, 'federation-controller-manager') },
    { apiVersion: rbac, kind: 'Role', metadata: meta(spec, name, 'federation-controller-manager') },
    { apiVersion: rbac, kind: 'RoleBinding', metadata: meta(spec, name, 'federation-controller-manager') },
  ];
}

/**
 * A Secret holding one identity's kubeconfig for the federation API (its key `kubeconfig`):
 * each controller mounts its own and no other.
 */
export function identityKubeconfig(
  { spec, credentials }: Pick<ControlPlaneInputs, 'spec' | 'credentials'>,
  name: string,
  pair: { cert: string; key: string },
  module: string,
): KubeObject {
  const kubeconfig = federationKubeconfig({
    name: spec.federationName,
    server: inClusterServer(spec),
    caPem: credentials[FILES.caCert],
    certPem: credentials[pair.cert],
    keyPem: credentials[pair.key],
  });
  return secret(spec, name, { [KUBECONFIG_KEY]: kubeconfig }, module);
}

/** The file name a kubeconfig Secret holds its kubeconfig under. */
export const KUBECONFIG_KEY = 'kubeconfig';

/** A kubeconfig for the federation API, with the given client certificate. */
export function federationKubeconfig(opts: {
  name: string;
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: opts.name, cluster: { server: opts.server, 'certificate-authority-data': base64(opts.caPem) } }],
    users: [
      {
        name: `${opts.name}-admin`,
        user: { 'client-certificate-data': base64(opts.certPem), 'client-key-data': base64(opts.keyPem) },
      },
    ],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: `${opts.name}-admin` } }],
    'current-context': opts.name,
  });
}

export function podLabels(spec: Spec, module: string): Record<string, string> {
  return { app: 'federated-cluster', module, [FEDERATION_LABEL]: spec.federationName };
}

/**
 * A Deployment of the control plane. Its pods use kubeconfigs of their own, so no
 * ServiceAccount token is mounted into them. The account is named: left unset, the deprecated
 * `serviceAccount` field would keep an older release's account (which is removed) in the Pods.
 */
export function deployment(
  spec: Spec,
  name: string,
  module: string,
  podSpec: object,
  podAnnotations: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(spec, name, module),
    spec: {
      replicas: 1,
      // The etcd claim is ReadWriteOnce: the old pod must let go before the new one starts.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: podLabels(spec, module) },
      template: {
        metadata: { labels: podLabels(spec, module), annotations: podAnnotations },
        spec: { serviceAccountName: 'default', automountServiceAccountToken: false, ...podSpec },
      },
    },
  };
}

/** Replaces flags by name in place and appends new ones, in the order the overrides give. */
export function mergeFlags(defaults: string[], overrides: Flag[]): string[] {
  const render = (f: Flag) => (f.value === undefined ? f.name : `${f.name}=${f.value}`);
  const merged = [...defaults];
  for (const flag of overrides) {
    const at = merged.findIndex((arg) => arg === flag.name || arg.startsWith(`${flag.name}=`));
    if (at >= 0) merged[at] = render(flag);
    else merged.push(render(flag));
  }
  return merged;
}
