// Reads every input into one typed Spec, or fails with every problem at once, each naming its
// input. Nothing here touches a cluster: a bad input must stop the run before any write.
import { isIP } from 'node:net';
import * as yaml from 'js-yaml';
import { DnsProvider, DnsSettings, EXTERNAL_DNS_PROVIDERS, dnsSettings } from './dns-provider.js';
import { DEFAULT_FEDERATED_TYPES, KNOWN_TYPES, TargetType, findType } from './federated-types.js';
import { PROJECT_IMAGE, VERSION } from './version.js';
import { rfc1035LabelError, rfc1123LabelError, rfc1123SubdomainError } from './names.js';

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
  'dns-controller-image': `${PROJECT_IMAGE}:v${VERSION}`,
  'apiserver-enable-basic-auth': 'false',
  'apiserver-enable-token-auth': 'false',
  'federated-types': DEFAULT_FEDERATED_TYPES.join(','),
  prune: 'false',
  mode: 'apply',
  wait: 'true',
  timeout: '5m',
} as const;

/** One `--flag=value` of an override list; `value` is undefined for a bare `--flag`. */
export interface Flag {
  name: string;
  value?: string;
}

export interface ClusterSpec {
  /** The cluster's name in the federation (an RFC 1035 label). */
  name: string;
  /** The kubeconfig context that reaches it (defaults to name). */
  context: string;
  /** The federation Secret holding its credentials (an RFC 1123 subdomain; defaults to name). */
  secretName: string;
  /**
   * The API URL the federation reaches it at, when that is not the kubeconfig's (kind's
   * members are 127.0.0.1:<port> to the runner, another address to the host cluster).
   */
  endpoint?: string;
}

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
  etcd: { image: string; persistentStorage: boolean; capacity: string; storageClass?: string };
  /** The types KubeFed propagates (`kubefedctl enable`); the others are disabled. */
  federatedTypes: TargetType[];
  clusters: ClusterSpec[];
  prune: boolean;
  wait: boolean;
  timeoutMs: number;
}

export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid inputs:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InputError';
  }
}

/** Reads an input by its action.yml name; '' when unset. */
export type InputSource = (name: string) => string;

export interface InputDeps {
  /** Reads dns-provider-config when it names a file; throws when there is none. */
  readFile: (path: string) => string;
}

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
  if (federationName.length > 50) problems.push('federation-name: must be at most 50 characters (it prefixes object names)');
  const hostContext = required('host-cluster-context');
  const namespace = get('federation-system-namespace');
  check('federation-system-namespace', namespace, rfc1123LabelError(namespace));

  const provider = oneOf('dns-provider', DNS_PROVIDERS);
  const zone = required('dns-zone-name');
  if (zone !== '' && !zone.endsWith('.')) problems.push(`dns-zone-name: "${zone}" must end with a dot, e.g. "${zone}."`);
  else check('dns-zone-name', zone, rfc1123SubdomainError(zone.slice(0, -1)));
  const providerConfig = readProviderConfig(get('dns-provider-config'), deps, problems);

  const serviceType = oneOf('api-server-service-type', SERVICE_TYPES);
  const advertiseAddress = get('api-server-advertise-address') || undefined;
  if (advertiseAddress && !isIP(advertiseAddress) && rfc1123SubdomainError(advertiseAddress)) {
    problems.push(`api-server-advertise-address: "${advertiseAddress}" is neither an IP address nor a DNS name`);
  }
  const image = get('image');
  const enableBasicAuth = bool('apiserver-enable-basic-auth');
  if (enableBasicAuth) {
    const basicAuthProblem = basicAuthImageError(image);
    if (basicAuthProblem) problems.push(`apiserver-enable-basic-auth: ${basicAuthProblem}`);
  }

  const etcdCapacity = get('etcd-pv-capacity');
  if (!/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(etcdCapacity) || Number.parseFloat(etcdCapacity) <= 0) {
    problems.push(`etcd-pv-capacity: "${etcdCapacity}" is not a positive storage quantity such as 10Gi`);
  }
  const storageClass = get('etcd-pv-storage-class') || undefined;
  if (storageClass) check('etcd-pv-storage-class', storageClass, rfc1123SubdomainError(storageClass));

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
      controllerImage: imageInput('dns-controller-image', get('dns-controller-image'), problems),
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
      argOverrides: kubeFedFlags(parseFlags('controllermanager-arg-overrides', get('controllermanager-arg-overrides'), problems), problems),
    },
    etcd: {
      image: imageInput('etcd-image', get('etcd-image'), problems),
      persistentStorage: bool('etcd-persistent-storage'),
      capacity: etcdCapacity,
      storageClass,
    },
    federatedTypes: parseFederatedTypes(get('federated-types'), problems),
    clusters: parseClusters(get('clusters'), problems),
    prune: bool('prune'),
    wait: bool('wait'),
    timeoutMs: parseDuration('timeout', get('timeout'), problems),
  };
  // A misspelt `clusters` input reads as empty: with prune that would unjoin every member.
  if (spec.prune && spec.mode !== 'destroy' && get('clusters') === '') {
    problems.push('prune: true with no clusters listed would unjoin every member; list the clusters, or set clusters to [] to unjoin them all');
  }
  if (problems.length > 0) throw new InputError(problems);
  return spec;
}

/**
 * A container image reference as the distribution spec writes it: [registry[:port]/]path
 * [:tag][@digest], path components lower-case.
 */
const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?$/;

function imageInput(name: string, value: string, problems: string[]): string {
  if (value.length > 255 || !IMAGE_REFERENCE.test(value)) problems.push(`${name}: "${value}" is not a container image reference such as registry.k8s.io/kube-apiserver:v1.34.4`);
  return value;
}

/**
 * Basic auth was removed from kube-apiserver in 1.19: an image at 1.19 or later would
 * crash-loop on --basic-auth-file, so refuse before writing anything.
 */
export function basicAuthImageError(image: string): string | null {
  const tag = /:v?(\d+)\.(\d+)(?:\.\d+)?[^:/@]*$/.exec(image);
  if (!tag) return `cannot tell the Kubernetes version of image "${image}"; basic auth needs an image tagged v1.18 or older`;
  const [major, minor] = [Number(tag[1]), Number(tag[2])];
  if (major > 1 || minor >= 19) {
    return `image "${image}" is Kubernetes ${major}.${minor}, which removed basic auth (1.19+); use apiserver-enable-token-auth or a v1.18 or older image`;
  }
  return null;
}

function readProviderConfig(value: string, deps: InputDeps, problems: string[]): string | undefined {
  if (value === '') return undefined;
  // Inline INI has a section header or a key = value line; anything else is a file path.
  if (/[\n=[]/.test(value)) return value.endsWith('\n') ? value : `${value}\n`;
  try {
    return deps.readFile(value);
  } catch {
    problems.push(`dns-provider-config: "${value}" is neither inline INI content nor a readable file`);
    return undefined;
  }
}

/**
 * Parses `--flag=value,--flag2=value` (the guide's override syntax). The list is split only
 * where a new `--flag` starts, so a value may hold commas (`--enable-admission-plugins=A,B`).
 */
export function parseFlags(input: string, value: string, problems: string[]): Flag[] {
  if (value === '') return [];
  const flags: Flag[] = [];
  for (const raw of value.split(/,(?=\s*-)/).map((s) => s.trim())) {
    const match = /^--([a-zA-Z0-9][-a-zA-Z0-9.]*)(?:=(.*))?$/.exec(raw);
    if (!match) {
      problems.push(`${input}: "${raw}" is not of the form --flag=value`);
      continue;
    }
    flags.push({ name: `--${match[1]}`, value: match[2] });
  }
  return flags;
}

/**
 * The flags the KubeFed v0.10.0 controller manager really has: its own and klog's (which keep
 * their underscores there). It exits with "unknown flag" on any other, so those are refused
 * here, before anything is written.
 */
export const KUBEFED_CONTROLLER_MANAGER_FLAGS = [
  '--kubefed-namespace', '--healthz-addr', '--metrics-addr', '--kubefed-config', '--kubeconfig', '--master',
  '--rest-config-qps', '--rest-config-burst', '--log-flush-frequency', '--add_dir_header', '--alsologtostderr',
  '--log_backtrace_at', '--log_dir', '--log_file', '--log_file_max_size', '--logtostderr', '--one_output',
  '--skip_headers', '--skip_log_headers', '--stderrthreshold', '--v', '--vmodule',
] as const;

function kubeFedFlags(flags: Flag[], problems: string[]): Flag[] {
  for (const flag of flags) {
    if (!(KUBEFED_CONTROLLER_MANAGER_FLAGS as readonly string[]).includes(flag.name)) {
      problems.push(`controllermanager-arg-overrides: ${flag.name} is not a flag of the KubeFed controller manager (it has ${KUBEFED_CONTROLLER_MANAGER_FLAGS.join(', ')})`);
    }
  }
  return flags;
}

/** `federated-types`: kubefedctl's type names (or plurals, kinds), comma- or line-separated. */
export function parseFederatedTypes(value: string, problems: string[]): TargetType[] {
  const types: TargetType[] = [];
  for (const name of value.split(/[\s,]+/).filter((n) => n !== '')) {
    const type = findType(name);
    if (!type) problems.push(`federated-types: "${name}" is not a type this action can enable (known: ${Object.keys(KNOWN_TYPES).join(', ')})`);
    else if (!types.includes(type)) types.push(type);
  }
  return types;
}

/** The bounds of a `timeout`: long enough for a server to answer, within a job's 6 hours. */
export const TIMEOUT_BOUNDS_MS = { min: 1000, max: 6 * 3_600_000 };

/** Parses a Go-style duration ("90s", "5m", "1h30m") into milliseconds, within bounds. */
export function parseDuration(input: string, value: string, problems: string[]): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) {
    problems.push(`${input}: "${value}" is not a duration such as 90s, 5m or 1h30m`);
    return 0;
  }
  let total = 0;
  for (const [, amount, , unit] of value.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * units[unit];
  if (total < TIMEOUT_BOUNDS_MS.min || total > TIMEOUT_BOUNDS_MS.max) {
    problems.push(`${input}: "${value}" must be between 1s and 6h`);
  }
  return total;
}

/** An API server URL a federation can record: https, a host, no credentials, nothing after the path. */
function httpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && !url.username && !url.password && !url.search && !url.hash;
  } catch {
    return false;
  }
}

/**
 * The clusters list: YAML items `{name, context, secret-name, endpoint}` (or bare names), or one name
 * per line. Every name is checked against the guide's rules before anything is written.
 */
export function parseClusters(value: string, problems: string[]): ClusterSpec[] {
  if (value === '') return [];
  let items: unknown;
  try {
    items = yaml.load(value);
  } catch {
    items = undefined;
  }
  if (!Array.isArray(items)) items = value.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const clusters: ClusterSpec[] = [];
  (items as unknown[]).forEach((item, index) => {
    const where = `clusters[${index}]`;
    const entry = typeof item === 'string' ? { name: item } : item;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`clusters: ${where} must be a name or a mapping with name, context and secret-name`);
      return;
    }
    const fields = entry as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !['name', 'context', 'secret-name', 'endpoint'].includes(k));
    if (unknown.length > 0) problems.push(`clusters: ${where} has unknown field(s) ${unknown.join(', ')} (allowed: name, context, secret-name, endpoint)`);
    const text = (key: string) => (fields[key] === undefined || fields[key] === null ? '' : String(fields[key]));
    const name = text('name');
    if (name === '') {
      problems.push(`clusters: ${where} has no name`);
      return;
    }
    const endpoint = text('endpoint') || undefined;
    const cluster: ClusterSpec = { name, context: text('context') || name, secretName: text('secret-name') || name, ...(endpoint ? { endpoint } : {}) };
    if (endpoint && !httpsUrl(endpoint)) problems.push(`clusters: endpoint "${endpoint}" of cluster "${name}" is not an https:// URL without user name or password`);
    const nameError = rfc1035LabelError(cluster.name);
    if (nameError) {
      problems.push(`clusters: cluster name "${name}" ${nameError}; join it under a valid name and give its kubeconfig context as "context"`);
    }
    const secretError = rfc1123SubdomainError(cluster.secretName);
    if (secretError) {
      problems.push(`clusters: secret name "${cluster.secretName}" of cluster "${name}" ${secretError}; set "secret-name"`);
    }
    if (clusters.some((c) => c.name === name)) problems.push(`clusters: cluster "${name}" is listed twice`);
    else if (clusters.some((c) => c.secretName === cluster.secretName)) {
      problems.push(`clusters: secret name "${cluster.secretName}" is used by two clusters`);
    }
    clusters.push(cluster);
  });
  return clusters;
}
