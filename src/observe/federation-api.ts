// Reaching the federation API: where clients find it (the Service's address) and a client for
// it with the admin certificate from the credentials Secret. Reads only.
import { KubeConfig } from '@kubernetes/client-node';
import { Cluster } from './cluster.js';
import { API_SERVER_PORT, federationKubeconfig, hostNames } from '../desired/control-plane.js';
import { FILES } from '../desired/credentials.js';
import { waitFor } from '../wait/poll.js';
import type { Spec } from '../inputs/spec.js';
import type { Log } from '../report/log.js';
import { type KubeObject, fromBase64 } from '../desired/objects.js';

export interface Address {
  host: string;
  port: number;
}

export function endpointUrl(address: Address): string {
  return `https://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/**
 * Where clients reach the federation API: the advertise address if given, else the load
 * balancer's address (waited for, up to `waitMs`), else — for NodePort — a node's address.
 */
export async function apiServerAddress(
  host: Cluster,
  spec: Spec,
  waitMs: number,
  log: Log,
  /** The Service as the caller just read it (undefined: absent), for the first look. */
  justRead?: { found: KubeObject | undefined },
): Promise<Address | undefined> {
  const ref = apiServerServiceRef(spec);
  let known = justRead;
  const lookup = async (): Promise<Address | undefined> => {
    const read = known ? known.found : await host.read(ref);
    known = undefined;
    const service = read as
      | {
          spec?: { ports?: { nodePort?: number }[] };
          status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
        }
      | undefined;
    if (!service) return undefined;
    if (spec.apiServer.serviceType === 'NodePort') {
      const nodePort = service.spec?.ports?.[0]?.nodePort;
      const nodeHost = spec.apiServer.advertiseAddress ?? (await nodeAddress(host));
      return nodePort && nodeHost ? { host: nodeHost, port: nodePort } : undefined;
    }
    const ingress = service.status?.loadBalancer?.ingress?.[0];
    const lbHost = spec.apiServer.advertiseAddress ?? ingress?.ip ?? ingress?.hostname;
    return lbHost ? { host: lbHost, port: API_SERVER_PORT } : undefined;
  };
  if (waitMs <= 0) return lookup();
  let found: Address | undefined;
  await waitFor(`an address for Service ${spec.namespace}/${ref.metadata.name}`, waitMs, log, async () => {
    found = await lookup();
    return found
      ? null
      : spec.apiServer.serviceType === 'NodePort'
        ? 'no node address (set api-server-advertise-address)'
        : 'load balancer pending';
  });
  return found;
}

async function nodeAddress(host: Cluster): Promise<string | undefined> {
  const nodes = await host.list('v1', 'Node', '');
  for (const type of ['ExternalIP', 'InternalIP']) {
    for (const node of nodes) {
      const addresses = (node.status as { addresses?: { type: string; address: string }[] })?.addresses ?? [];
      const match = addresses.find((a) => a.type === type);
      if (match) return match.address;
    }
  }
  return undefined;
}

/** The federation API server's Service on the host. */
export function apiServerServiceRef(spec: Spec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: hostNames(spec.federationName).apiServer, namespace: spec.namespace },
  };
}

/** The credentials Secret on the host. */
export function credentialsSecretRef(spec: Spec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: hostNames(spec.federationName).credentials, namespace: spec.namespace },
  };
}

/** The credentials Secret's files (name → content) as the host holds them; empty when absent. */
export async function readCredentialFiles(host: Cluster, spec: Spec): Promise<Record<string, string>> {
  return credentialFiles(await host.read(credentialsSecretRef(spec)));
}

/** The files a credentials Secret holds (name → content); empty when there is none. */
export function credentialFiles(secret: KubeObject | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries((secret?.data as Record<string, string>) ?? {}).map(([k, v]) => [k, fromBase64(v) ?? '']),
  );
}

export interface FederationApi {
  cluster: Cluster;
  /** A kubeconfig (YAML) for the federation API with the admin certificate. */
  kubeconfig: string;
}

/** A client for the federation API at `endpoint`, authenticated with the admin certificate. */
export function connectFederation(spec: Spec, endpoint: string, files: Record<string, string>): FederationApi {
  const kubeconfig = federationKubeconfig({
    name: spec.federationName,
    server: endpoint,
    caPem: files[FILES.caCert],
    certPem: files[FILES.adminCert],
    keyPem: files[FILES.adminKey],
  });
  const config = new KubeConfig();
  config.loadFromString(kubeconfig);
  return { cluster: new Cluster({ kind: 'federation' }, `federation API (${endpoint})`, config), kubeconfig };
}

/**
 * The federation API as the host already has it: its Service's address and the admin
 * certificate of its credentials Secret, nothing issued or waited for. Undefined before init.
 */
export async function existingFederation(host: Cluster, spec: Spec, log: Log): Promise<FederationApi | undefined> {
  const [address, files] = await Promise.all([apiServerAddress(host, spec, 0, log), readCredentialFiles(host, spec)]);
  return address && files[FILES.adminCert] ? connectFederation(spec, endpointUrl(address), files) : undefined;
}
