// The action's own probe of a member as the federation reaches it: at the endpoint KubeFed
// uses, with the token the federation holds. KubeFed keeps a client built from an older token
// until the member's record changes, so its Ready condition alone can miss a token the member
// now refuses.
import { KubeConfig } from '@kubernetes/client-node';
import { Cluster, ClusterError } from './cluster.js';
import { preconnect } from './connections.js';

/** How long the probe waits for an answer (a health check polls; a stalled member must not hold it). */
const PROBE_TIMEOUT_MS = 5000;

/** How the federation reaches a member: as its KubeFedCluster and Secret record it. */
export interface FederationAccess {
  endpoint: string;
  /** The CA bundle, base64-encoded PEM as a KubeFedCluster holds it. */
  caBundle?: string;
  insecure: boolean;
  token: string;
}

/**
 * Null when the member answers a list of namespaces (which the token's rights must allow),
 * else why not. Its /readyz is asked only when the list failed, to say whether the server is
 * not ready. Never rejects.
 */
export async function probeThroughToken(name: string, access: FederationAccess): Promise<string | null> {
  try {
    const asFederation = new Cluster(
      { kind: 'member', cluster: name },
      `cluster "${name}" through the federation's token`,
      configOf(name, access),
      PROBE_TIMEOUT_MS,
    );
    try {
      await asFederation.ensureReachable();
      return null;
    } catch (err) {
      // A server that answered (401, 403, 5xx): its /readyz tells a server that is not ready.
      const answered = err instanceof ClusterError && err.status !== undefined;
      const notReady = answered && !(await asFederation.ready(PROBE_TIMEOUT_MS));
      return notReady ? `${access.endpoint}/readyz is not ok through the federation's token` : (err as Error).message;
    }
  } catch (err) {
    return `the probe through the federation's token failed: ${(err as Error).message}`;
  }
}

/**
 * Opens the probe's connection before its token is known: its TCP and TLS round trips need
 * only the address and the CA, and then overlap the member's writes. Never rejects: a probe
 * that cannot connect says so itself.
 */
export function openProbeConnection(name: string, access: Omit<FederationAccess, 'token'>): void {
  preconnect(configOf(name, { ...access, token: '' })).catch(() => undefined);
}

function configOf(name: string, access: FederationAccess): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name, server: access.endpoint, caData: access.caBundle, skipTLSVerify: access.insecure }],
    users: [{ name: 'federation', token: access.token }],
    contexts: [{ name, cluster: name, user: 'federation' }],
    currentContext: name,
  });
  return config;
}
