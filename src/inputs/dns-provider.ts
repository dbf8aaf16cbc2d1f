// The guide's DNS provider configuration (`dns-provider-config`, INI with a [Global] section)
// read into what external-dns needs for that provider, and where members forward the
// federation's names. Pure apart from reading the TLS files the config names (injected).
import * as ini from 'ini';
import { isIP } from 'node:net';

/** The guide's provider names, and external-dns's names for them. */
export const EXTERNAL_DNS_PROVIDERS = {
  'google-clouddns': 'google',
  'aws-route53': 'aws',
  coredns: 'coredns',
} as const;
export type DnsProvider = keyof typeof EXTERNAL_DNS_PROVIDERS;

/** Files the provider-config Secret carries beside the config itself (the etcd TLS files). */
export const PROVIDER_FILES = {
  config: 'provider.conf',
  etcdCa: 'etcd-ca.crt',
  etcdCert: 'etcd-client.crt',
  etcdKey: 'etcd-client.key',
} as const;

/** The coredns provider's TLS keys (runner paths), and where external-dns is told each file is. */
const TLS_FILES = [
  { key: 'etcd-ca-file', file: PROVIDER_FILES.etcdCa, env: 'ETCD_CA_FILE' },
  { key: 'etcd-cert-file', file: PROVIDER_FILES.etcdCert, env: 'ETCD_CERT_FILE' },
  { key: 'etcd-key-file', file: PROVIDER_FILES.etcdKey, env: 'ETCD_KEY_FILE' },
] as const;

export interface DnsSettings {
  /** external-dns's `--provider`. */
  externalDnsProvider: (typeof EXTERNAL_DNS_PROVIDERS)[DnsProvider];
  /** Flags of that provider (`--google-project=...`). */
  args: string[];
  /** Environment of that provider (the coredns provider reads etcd's address from ETCD_URLS). */
  env: Record<string, string>;
  /** Extra files for the provider-config Secret, by PROVIDER_FILES name (their content). */
  files: Record<string, string>;
  /**
   * Where a CoreDNS member forwards the federation's names: the servers of the zone
   * (`coredns-endpoints`), or the member's own upstream resolvers for a public zone.
   */
  forwardTo: string[];
}

/** CoreDNS's forward plugin refuses more upstreams than this (plugin/forward/setup.go, `max`). */
export const MAX_UPSTREAMS = 15;
/** The schemes forward takes (plugin/pkg/parse/transport.go, and setup.go's allowedTrans); none is plain DNS. */
const FORWARD_SCHEMES = ['dns://', 'tls://'];
/** Schemes parse knows and forward refuses, to say so rather than "not an IP address". */
const OTHER_SCHEMES = ['quic://', 'grpc://', 'https3://', 'https://', 'unix://'];

/**
 * Why CoreDNS's forward plugin (v1.12.4) would refuse this upstream, or undefined. It takes
 * `[dns://|tls://]IP[:port]`, an IPv6 address in brackets when a port follows, an IPv6 zone
 * after `%` (parse.HostPortOrFile, net.SplitHostPort, net.ParseIP). It also takes a resolv.conf
 * path, but that names a file inside the member's CoreDNS pod, which the action cannot see: a
 * path is refused. forward does not check the port: Go's dialer refuses one that is not a
 * number up to 65535 when the first query goes out, so it is checked here. A zone is limited
 * to an interface name's characters, so that nothing in it can end the Corefile's line.
 */
export function upstreamProblem(server: string): string | undefined {
  const other = OTHER_SCHEMES.find((s) => server.startsWith(s));
  if (other) return `uses ${other}, which CoreDNS's forward does not take (only dns:// and tls://)`;
  const address = server.slice(FORWARD_SCHEMES.find((s) => server.startsWith(s))?.length ?? 0);
  const split = /^\[([^\]]*)\]:([^:]*)$|^([^:]*):([^:]*)$/.exec(address);
  const [host, port] = split ? [split[1] ?? split[3], split[2] ?? split[4]] : [address, undefined];
  const [ip, zone] = host.split(/%(.*)/s);
  if (!isIP(ip))
    return (
      "is not an IP address with an optional port (CoreDNS's forward takes no host names; " +
      'IPv6 with a port as [address]:port)'
    );
  if (zone !== undefined && !/^[\w.-]+$/.test(zone)) return `has a zone "${zone}" that is not an interface name`;
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && +port >= 1 && +port <= 65535))
    return `has the port "${port}", not a number from 1 to 65535`;
  return undefined;
}

/** Where the provider-config Secret is mounted in external-dns's container. */
export const PROVIDER_DIR = '/etc/kubefed-dns/provider';

/**
 * Reads the provider config. `readFile` reads a TLS file the config names on the runner; its
 * content goes into the provider-config Secret, so the pod needs nothing from the runner.
 */
export function dnsSettings(
  provider: DnsProvider,
  config: string | undefined,
  readFile: (path: string) => string,
  problems: string[],
): DnsSettings {
  const global = globalSection(config, problems);
  const value = (key: string): string | undefined => {
    const v = global[key];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const list = (key: string): string[] =>
    (value(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const settings: DnsSettings = {
    externalDnsProvider: EXTERNAL_DNS_PROVIDERS[provider],
    args: [],
    env: {},
    files: {},
    forwardTo: ['/etc/resolv.conf'],
  };
  if (provider === 'google-clouddns') {
    const project = value('project-id');
    if (project) settings.args.push(`--google-project=${project}`);
  }
  if (provider !== 'coredns') return settings;

  const etcd = list('etcd-endpoints');
  for (const url of etcd) {
    if (!/^https?:\/\/[^\s/]+\/?$/.test(url))
      problems.push(`dns-provider-config: etcd-endpoints: "${url}" is not an http:// or https:// URL`);
  }
  if (etcd.length) settings.env.ETCD_URLS = etcd.join(',');
  const coredns = list('coredns-endpoints');
  for (const server of coredns) {
    const problem = upstreamProblem(server);
    if (problem) problems.push(`dns-provider-config: coredns-endpoints: "${server}" ${problem}`);
  }
  if (coredns.length > MAX_UPSTREAMS)
    problems.push(
      `dns-provider-config: coredns-endpoints: ${coredns.length} servers; ` +
        `CoreDNS's forward takes at most ${MAX_UPSTREAMS}`,
    );
  if (coredns.length) settings.forwardTo = coredns;
  for (const { key, file, env } of TLS_FILES) {
    const path = value(key);
    if (!path) continue;
    try {
      settings.files[file] = readFile(path);
    } catch {
      problems.push(`dns-provider-config: ${key}: "${path}" is not a readable file`);
      continue;
    }
    settings.env[env] = `${PROVIDER_DIR}/${file}`;
  }
  return settings;
}

function globalSection(config: string | undefined, problems: string[]): Record<string, unknown> {
  if (!config) return {};
  let parsed: Record<string, unknown>;
  try {
    parsed = ini.parse(config);
  } catch (err) {
    problems.push(`dns-provider-config: not INI: ${(err as Error).message}`);
    return {};
  }
  // Keys are case-insensitive in the v1 format (gcfg); the guide writes them in lower case.
  const section = Object.entries(parsed).find(([name]) => name.toLowerCase() === 'global')?.[1];
  const entries = typeof section === 'object' && section !== null ? Object.entries(section) : [];
  return Object.fromEntries(entries.map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * The provider config without the TLS file keys: what a later `kubefed join` needs (where
 * members forward) from the config kept on the host, where those runner paths mean nothing.
 */
export function withoutFileKeys(config: string): string {
  const keys = new Set<string>(TLS_FILES.map((t) => t.key));
  return config
    .split('\n')
    .filter((line) => !keys.has(line.split('=')[0].trim().toLowerCase()))
    .join('\n');
}
