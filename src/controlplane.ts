// The federation control plane on the host cluster (what `kubefed init` created), as pure
// functions from the spec to manifests.
import { parse as parseIni } from 'ini';
import * as yaml from 'js-yaml';
import { isIP } from 'node:net';
import { FILES } from './credentials.js';
import type { Flag, Spec } from './inputs.js';
import { FIELD_MANAGER, KubeObject, MANAGED_BY_LABEL, base64, canonicalJson, ownedBy, sha256, withAppliedHash } from './objects.js';

export const API_SERVER_PORT = 443;
const API_SERVER_CONTAINER_PORT = 8443;
const CREDENTIALS_DIR = '/etc/federation/apiserver';
const CONTROLLER_MANAGER_DIR = '/etc/federation/controller-manager';
const DNS_PROVIDER_DIR = '/etc/federation/dns-provider';

/** The names of the host objects, all derived from the federation name. */
export function hostNames(federation: string) {
  return {
    apiServer: `${federation}-apiserver`,
    credentials: `${federation}-apiserver-credentials`,
    etcdClaim: `${federation}-federation-apiserver-etcd-claim`,
    dnsProviderConfig: `${federation}-dns-provider-config`,
    controllerManager: `${federation}-controller-manager`,
    controllerManagerKubeconfig: `${federation}-controller-manager-kubeconfig`,
  };
}

/** The labels the guide gives the control plane, plus the action's ownership labels. */
function labels(spec: Spec, module?: string): Record<string, string> {
  return { app: 'federated-cluster', ...(module ? { module } : {}), ...ownedBy(spec.federationName) };
}

function meta(spec: Spec, name: string, module?: string) {
  return { name, namespace: spec.namespace, labels: labels(spec, module) };
}

/**
 * Several federations may share the namespace (the default is the same for all), so it carries
 * no federation label: each would otherwise set its own on every run.
 */
function namespace(spec: Spec): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace, labels: { [MANAGED_BY_LABEL]: FIELD_MANAGER } } };
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

/** The rest of the control plane, after addressObjects (which it does not repeat). */
export function hostObjects(input: ControlPlaneInputs): KubeObject[] {
  const { spec } = input;
  const objects = [
    credentialsSecret(input),
    ...(spec.etcd.persistentStorage ? [etcdClaim(spec)] : []),
    ...(spec.dns.providerConfig !== undefined ? [dnsProviderConfigSecret(spec)] : []),
    ...controllerManagerAccess(spec),
    controllerManagerKubeconfig(input),
    apiServerDeployment(input),
    controllerManagerDeployment(input),
  ];
  return objects.map(withAppliedHash);
}

function secret(spec: Spec, name: string, files: Record<string, string>, module?: string): KubeObject {
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

function dnsProviderConfigSecret(spec: Spec): KubeObject {
  return secret(spec, hostNames(spec.federationName).dnsProviderConfig, { 'provider.conf': spec.dns.providerConfig ?? '' }, 'federation-controller-manager');
}

function controllerManagerAccess(spec: Spec): KubeObject[] {
  const name = hostNames(spec.federationName).controllerManager;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(spec, name, 'federation-controller-manager') },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(spec, name, 'federation-controller-manager'),
      // Leader election and events in its own namespace; everything else it does is in the
      // federation API, with its own certificate.
      rules: [
        { apiGroups: [''], resources: ['configmaps', 'events'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(spec, name, 'federation-controller-manager'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: spec.namespace }],
    },
  ];
}

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
    users: [{ name: `${opts.name}-admin`, user: { 'client-certificate-data': base64(opts.certPem), 'client-key-data': base64(opts.keyPem) } }],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: `${opts.name}-admin` } }],
    'current-context': opts.name,
  });
}

function controllerManagerKubeconfig({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  const kubeconfig = federationKubeconfig({
    name: spec.federationName,
    server: `https://${n.apiServer}.${spec.namespace}.svc:${API_SERVER_PORT}`,
    caPem: credentials[FILES.caCert],
    certPem: credentials[FILES.controllerManagerCert],
    keyPem: credentials[FILES.controllerManagerKey],
  });
  return secret(spec, n.controllerManagerKubeconfig, { kubeconfig }, 'federation-controller-manager');
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

export function apiServerArgs(spec: Spec, address: string): string[] {
  const n = hostNames(spec.federationName);
  const file = (name: string) => `${CREDENTIALS_DIR}/${name}`;
  const args = [
    '--bind-address=0.0.0.0',
    `--secure-port=${API_SERVER_CONTAINER_PORT}`,
    ...(isIP(address) ? [`--advertise-address=${address}`] : []),
    '--etcd-servers=http://127.0.0.1:2379',
    `--client-ca-file=${file(FILES.caCert)}`,
    `--tls-cert-file=${file(FILES.serverCert)}`,
    `--tls-private-key-file=${file(FILES.serverKey)}`,
    `--service-account-key-file=${file(FILES.serviceAccountPublicKey)}`,
    `--service-account-signing-key-file=${file(FILES.serviceAccountKey)}`,
    `--service-account-issuer=https://${n.apiServer}.${spec.namespace}.svc`,
    '--service-cluster-ip-range=10.254.0.0/24',
    '--authorization-mode=RBAC',
    ...(spec.apiServer.enableTokenAuth ? [`--token-auth-file=${file(FILES.tokens)}`] : []),
    ...(spec.apiServer.enableBasicAuth ? [`--basic-auth-file=${file(FILES.basicAuth)}`] : []),
  ];
  return mergeFlags(args, spec.apiServer.argOverrides);
}

function podLabels(spec: Spec, module: string): Record<string, string> {
  return { app: 'federated-cluster', module, 'kubefed-action.io/federation': spec.federationName };
}

function deployment(spec: Spec, name: string, module: string, podSpec: object, podAnnotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(spec, name, module),
    spec: {
      replicas: 1,
      // The etcd claim is ReadWriteOnce: the old pod must let go before the new one starts.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: podLabels(spec, module) },
      template: { metadata: { labels: podLabels(spec, module), annotations: podAnnotations }, spec: podSpec },
    },
  };
}

/**
 * The settings a later `kubefed join` needs and is not given (the guide passes it only the host
 * context), kept as inputs on the API server Deployment, keyed by their input names.
 */
export const SETTINGS_PREFIX = 'kubefed-action.io/';
const SETTINGS = ['dns-provider', 'dns-zone-name', 'api-server-service-type', 'api-server-advertise-address'] as const;

function settingsAnnotations(spec: Spec): Record<string, string> {
  const values: Record<(typeof SETTINGS)[number], string | undefined> = {
    'dns-provider': spec.dns.provider,
    'dns-zone-name': spec.dns.zone,
    'api-server-service-type': spec.apiServer.serviceType,
    'api-server-advertise-address': spec.apiServer.advertiseAddress,
  };
  return Object.fromEntries(SETTINGS.flatMap((k) => (values[k] ? [[`${SETTINGS_PREFIX}${k}`, values[k]]] : [])));
}

/** The inputs settingsAnnotations kept, read back from the Deployment's annotations. */
export function settingsOf(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(SETTINGS.flatMap((k) => (annotations?.[`${SETTINGS_PREFIX}${k}`] ? [[k, annotations[`${SETTINGS_PREFIX}${k}`]]] : [])));
}

function apiServerDeployment(input: ControlPlaneInputs): KubeObject {
  const object = apiServerPods(input);
  return { ...object, metadata: { ...object.metadata, annotations: settingsAnnotations(input.spec) } };
}

function apiServerPods({ spec, credentials, address }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  return deployment(
    spec,
    n.apiServer,
    'federation-apiserver',
    {
      containers: [
        {
          name: 'apiserver',
          image: spec.apiServer.image,
          command: ['kube-apiserver'],
          args: apiServerArgs(spec, address),
          ports: [{ name: 'https', containerPort: API_SERVER_CONTAINER_PORT, protocol: 'TCP' }],
          volumeMounts: [{ name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true }],
        },
        {
          name: 'etcd',
          image: spec.etcd.image,
          command: ['etcd'],
          args: ['--data-dir=/var/etcd/data', '--listen-client-urls=http://127.0.0.1:2379', '--advertise-client-urls=http://127.0.0.1:2379'],
          volumeMounts: [{ name: 'etcd-data', mountPath: '/var/etcd' }],
        },
      ],
      volumes: [
        { name: 'credentials', secret: { secretName: n.credentials } },
        spec.etcd.persistentStorage
          ? { name: 'etcd-data', persistentVolumeClaim: { claimName: n.etcdClaim } }
          : { name: 'etcd-data', emptyDir: {} },
      ],
    },
    // A new certificate or token must restart the server: the template changes with them.
    { 'kubefed-action.io/credentials-hash': sha256(canonicalJson(credentials)).slice(0, 32) },
  );
}

const EXTERNAL_DNS_PROVIDER: Record<Spec['dns']['provider'], string> = {
  'google-clouddns': 'google',
  'aws-route53': 'aws',
  coredns: 'coredns',
};

/** Reads a key from the INI provider config, in any section, case-insensitively. */
export function providerConfigValue(config: string | undefined, key: string): string | undefined {
  if (!config) return undefined;
  const parsed = parseIni(config) as Record<string, unknown>;
  const sections = [parsed, ...Object.values(parsed).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)];
  for (const section of sections) {
    for (const [k, v] of Object.entries(section)) if (k.toLowerCase() === key && typeof v === 'string') return v.trim();
  }
  return undefined;
}

/** external-dns, publishing the federation's DNSEndpoint records to the chosen provider. */
export function externalDnsContainer(spec: Spec): object {
  const { provider, zone, providerConfig } = spec.dns;
  const args = [
    '--source=crd',
    '--crd-source-apiversion=multiclusterdns.kubefed.io/v1alpha1',
    '--crd-source-kind=DNSEndpoint',
    `--provider=${EXTERNAL_DNS_PROVIDER[provider]}`,
    `--domain-filter=${zone.replace(/\.$/, '')}`,
    '--registry=txt',
    `--txt-owner-id=${spec.federationName}`,
    `--kubeconfig=${CONTROLLER_MANAGER_DIR}/kubeconfig`,
  ];
  const env: { name: string; value: string }[] = [];
  const project = providerConfigValue(providerConfig, 'project-id');
  if (provider === 'google-clouddns' && project) args.push(`--google-project=${project}`);
  const etcd = providerConfigValue(providerConfig, 'etcd-endpoints');
  if (provider === 'coredns' && etcd) env.push({ name: 'ETCD_URLS', value: etcd });
  return {
    name: 'external-dns',
    image: spec.controllerManager.externalDnsImage,
    args,
    ...(env.length ? { env } : {}),
    volumeMounts: controllerManagerMounts(spec),
  };
}

function controllerManagerMounts(spec: Spec): object[] {
  return [
    { name: 'kubeconfig', mountPath: CONTROLLER_MANAGER_DIR, readOnly: true },
    ...(spec.dns.providerConfig !== undefined ? [{ name: 'dns-provider-config', mountPath: DNS_PROVIDER_DIR, readOnly: true }] : []),
  ];
}

export function controllerManagerArgs(spec: Spec): string[] {
  const args = [
    `--kubefed-namespace=${spec.namespace}`,
    `--kubeconfig=${CONTROLLER_MANAGER_DIR}/kubeconfig`,
    `--federation-name=${spec.federationName}`,
    `--dns-provider=${spec.dns.provider}`,
    `--zone-name=${spec.dns.zone}`,
    ...(spec.dns.providerConfig !== undefined ? [`--dns-provider-config=${DNS_PROVIDER_DIR}/provider.conf`] : []),
  ];
  return mergeFlags(args, spec.controllerManager.argOverrides);
}

function controllerManagerDeployment({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  return deployment(
    spec,
    n.controllerManager,
    'federation-controller-manager',
    {
      serviceAccountName: n.controllerManager,
      containers: [
        {
          name: 'controller-manager',
          image: spec.controllerManager.image,
          command: ['/hyperfed/controller-manager'],
          args: controllerManagerArgs(spec),
          volumeMounts: controllerManagerMounts(spec),
        },
        externalDnsContainer(spec),
      ],
      volumes: [
        { name: 'kubeconfig', secret: { secretName: n.controllerManagerKubeconfig } },
        ...(spec.dns.providerConfig !== undefined ? [{ name: 'dns-provider-config', secret: { secretName: n.dnsProviderConfig } }] : []),
      ],
    },
    {
      'kubefed-action.io/credentials-hash': sha256(
        canonicalJson([credentials[FILES.controllerManagerCert], credentials[FILES.caCert], spec.dns.providerConfig ?? '']),
      ).slice(0, 32),
    },
  );
}
