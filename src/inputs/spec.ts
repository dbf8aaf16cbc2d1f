// Reads every input into one typed Spec, or fails with every problem at once, each naming its
// input. Nothing here touches a cluster: a bad input must stop the run before any write.
import { isIP } from 'node:net';
import { DnsProvider, DnsSettings, EXTERNAL_DNS_PROVIDERS, dnsSettings } from './dns-provider.js';
import { DEFAULT_FEDERATED_TYPES, TargetType } from '../desired/federated-types.js';
import { defaultDnsControllerImage, defaultKubeControllerManagerImage } from './images.js';
import { type ClusterSpec, parseClusters } from './clusters.js';
import { labelSelectorError, rfc1035LabelError, rfc1123LabelError, rfc1123SubdomainError } from './names.js';
import {
  type Flag,
  type InputDeps,
  basicAuthImageError,
  imageInput,
  kubeFedFlags,
  parseDuration,
  parseFederatedTypes,
  parseFlags,
  readProviderConfig,
} from './values.js';

export type { ClusterSpec } from './clusters.js';
export type { Flag, InputDeps } from './values.js';

export const MODES = ['apply', 'plan', 'check', 'destroy'] as const;
export type Mode = (typeof MODES)[number];
export const DNS_PROVIDERS = Object.keys(EXTERNAL_DNS_PROVIDERS) as DnsProvider[];
export const SERVICE_TYPES = ['LoadBalancer', 'NodePort'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export const DEFAULTS = {
  'federation-system-namespace': 'federation-system',
  'api-server-service-type': 'LoadBalancer',
  'etcd-persistent-storage': 'true',
  'etcd-pv-capacity': '10Gi',
  image: 'registry.k8s.io/kube-apiserver:v1.34.4',
  'etcd-image': 'registry.k8s.io/etcd:3.6.4-0',
  'controller-manager-image': 'quay.io/kubernetes-multicluster/kubefed:v0.10.0',
  'external-dns-image': 'registry.k8s.io/external-dns/external-dns:v0.19.0',
  'apiserver-enable-basic-auth': 'false',
  'apiserver-enable-token-auth': 'false',
  'federated-types': DEFAULT_FEDERATED_TYPES.join(','),
  prune: 'false',
  force: 'false',
  mode: 'apply',
  wait: 'true',
  timeout: '5m',
} as const;

export interface Spec {
  mode: Mode;
  federationName: string;
  hostContext: string;
  namespace: string;
  dns: {
    provider: DnsProvider;
    zone: string;
    providerConfig?: string;
    /** What external-dns and the members' CoreDNS need, read from providerConfig. */
    settings: DnsSettings;
    /** The project's own image, run as `kubefed dns-controller`. */
    controllerImage: string;
    externalDnsImage: string;
  };
  apiServer: {
    image: string;
    serviceType: ServiceType;
    advertiseAddress?: string;
    enableBasicAuth: boolean;
    enableTokenAuth: boolean;
    argOverrides: Flag[];
  };
  controllerManager: { image: string; argOverrides: Flag[] };
  /** Beside KubeFed, for the federation API's garbage collection and namespace deletion. */
  kubeControllerManager: { image: string };
  etcd: { image: string; persistentStorage: boolean; capacity: string; storageClass?: string };
  /** The types KubeFed propagates (`kubefedctl enable`); the others are disabled. */
  federatedTypes: TargetType[];
  /** More such types, by name: not kubefedctl's default ten, so found in the federation API's discovery. */
  discoveredTypeNames: string[];
  clusters: ClusterSpec[];
  prune: boolean;
  /**
   * Destroy and unjoin go on where they would stop to keep what a re-run needs: the control
   * plane removed though member records are unreadable or a member was not unjoined, and an
   * unreachable member's records removed from the federation (what it holds is named).
   */
  force: boolean;
  wait: boolean;
  timeoutMs: number;
  /** Which federated objects the gate judges (all when neither is set). */
  propagation: { namespace?: string; labelSelector?: string };
}

export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid inputs:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InputError';
  }
}

/** Reads an input by its action.yml name; '' when unset. */
export type InputSource = (name: string) => string;

const federatedTypesOf = ({ known, discovered }: { known: TargetType[]; discovered: string[] }) => ({
  federatedTypes: known,
  discoveredTypeNames: discovered,
});

export function parseSpec(source: InputSource, deps: InputDeps): Spec {
  const problems: string[] = [];
  const get = (name: string): string => {
    const value = source(name).trim();
    return value !== '' ? value : (DEFAULTS[name as keyof typeof DEFAULTS] ?? '');
  };
  const required = (name: string): string => {
    const value = get(name);
    if (value === '') problems.push(`${name}: is required`);
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T => {
    const value = get(name);
    if (!allowed.includes(value as T)) problems.push(`${name}: "${value}" is not one of ${allowed.join(', ')}`);
    return value as T;
  };
  const bool = (name: string): boolean => {
    const value = get(name);
    if (/^(true|True|TRUE)$/.test(value)) return true;
    if (!/^(false|False|FALSE)$/.test(value)) problems.push(`${name}: "${value}" is not true or false`);
    return false;
  };
  const check = (name: string, value: string, error: string | null) => {
    if (value !== '' && error) problems.push(`${name}: "${value}" ${error}`);
  };

  const mode = oneOf('mode', MODES);
  const federationName = required('federation-name');
  // The Service "<name>-apiserver" must itself be an RFC 1035 label of at most 63 characters.
  check('federation-name', federationName, rfc1035LabelError(federationName));
  if (federationName.length > 50)
    problems.push('federation-name: must be at most 50 characters (it prefixes object names)');
  const hostContext = required('host-cluster-context');
  const namespace = get('federation-system-namespace');
  check('federation-system-namespace', namespace, rfc1123LabelError(namespace));

  const provider = oneOf('dns-provider', DNS_PROVIDERS);
  const zone = required('dns-zone-name');
  if (zone !== '' && !zone.endsWith('.'))
    problems.push(`dns-zone-name: "${zone}" must end with a dot, e.g. "${zone}."`);
  else check('dns-zone-name', zone, rfc1123SubdomainError(zone.slice(0, -1)));
  const providerConfig = readProviderConfig(get('dns-provider-config'), deps, problems);

  const serviceType = oneOf('api-server-service-type', SERVICE_TYPES);
  const advertiseAddress = get('api-server-advertise-address') || undefined;
  if (advertiseAddress && !isIP(advertiseAddress) && rfc1123SubdomainError(advertiseAddress)) {
    problems.push(`api-server-advertise-address: "${advertiseAddress}" is neither an IP address nor a DNS name`);
  }
  const image = get('image');
  const kubeControllerManagerImage = get('kube-controller-manager-image');
  const dnsControllerImage = get('dns-controller-image');
  const enableBasicAuth = bool('apiserver-enable-basic-auth');
  if (enableBasicAuth) {
    const basicAuthProblem = basicAuthImageError(image);
    if (basicAuthProblem) problems.push(`apiserver-enable-basic-auth: ${basicAuthProblem}`);
  }

  const etcdCapacity = get('etcd-pv-capacity');
  if (
    !/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(etcdCapacity) ||
    Number.parseFloat(etcdCapacity) <= 0
  ) {
    problems.push(`etcd-pv-capacity: "${etcdCapacity}" is not a positive storage quantity such as 10Gi`);
  }
  const storageClass = get('etcd-pv-storage-class') || undefined;
  if (storageClass) check('etcd-pv-storage-class', storageClass, rfc1123SubdomainError(storageClass));

  const propagationNamespace = get('propagation-namespace');
  check('propagation-namespace', propagationNamespace, rfc1123LabelError(propagationNamespace));
  const propagationSelector = get('propagation-selector');
  check('propagation-selector', propagationSelector, labelSelectorError(propagationSelector));

  const spec: Spec = {
    mode,
    federationName,
    hostContext,
    namespace,
    dns: {
      provider,
      zone,
      providerConfig,
      settings: dnsSettings(provider, providerConfig, deps.readFile, problems),
      controllerImage:
        dnsControllerImage !== ''
          ? imageInput('dns-controller-image', dnsControllerImage, problems)
          : defaultDnsControllerImage(deps.action, problems),
      externalDnsImage: imageInput('external-dns-image', get('external-dns-image'), problems),
    },
    apiServer: {
      image: imageInput('image', image, problems),
      serviceType,
      advertiseAddress,
      enableBasicAuth,
      enableTokenAuth: bool('apiserver-enable-token-auth'),
      argOverrides: parseFlags('apiserver-arg-overrides', get('apiserver-arg-overrides'), problems),
    },
    controllerManager: {
      image: imageInput('controller-manager-image', get('controller-manager-image'), problems),
      argOverrides: kubeFedFlags(
        parseFlags('controllermanager-arg-overrides', get('controllermanager-arg-overrides'), problems),
        problems,
      ),
    },
    kubeControllerManager: {
      image:
        kubeControllerManagerImage !== ''
          ? imageInput('kube-controller-manager-image', kubeControllerManagerImage, problems)
          : defaultKubeControllerManagerImage(image, problems),
    },
    etcd: {
      image: imageInput('etcd-image', get('etcd-image'), problems),
      persistentStorage: bool('etcd-persistent-storage'),
      capacity: etcdCapacity,
      storageClass,
    },
    ...federatedTypesOf(parseFederatedTypes(get('federated-types'), problems)),
    clusters: parseClusters(get('clusters'), problems),
    prune: bool('prune'),
    force: bool('force'),
    wait: bool('wait'),
    timeoutMs: parseDuration('timeout', get('timeout'), problems),
    propagation: {
      ...(propagationNamespace ? { namespace: propagationNamespace } : {}),
      ...(propagationSelector ? { labelSelector: propagationSelector } : {}),
    },
  };
  // A misspelt `clusters` input reads as empty: with prune that would unjoin every member.
  if (spec.prune && spec.mode !== 'destroy' && get('clusters') === '') {
    problems.push(
      'prune: true with no clusters listed would unjoin every member; ' +
        'list the clusters, or set clusters to [] to unjoin them all',
    );
  }
  if (problems.length > 0) throw new InputError(problems);
  return spec;
}
