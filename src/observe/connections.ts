// One pool of kept-alive TLS connections per server and client identity, shared by every
// client of the run. The official client gives each request a new dispatcher (an undici Agent),
// and with it a new TCP connection and TLS handshake: three round trips where one would do
// across a real network, and a TLS context's CPU and memory each time (issue 23).
//
// kube-apiserver speaks HTTP/2 (ALPN), so requests made together go out as streams of one
// connection, as client-go's do. Requests made while it is still connecting wait for it: over
// HTTP/1.1 they would then go one after another, so only requests that end share it; watches
// (observe/watch.ts) never do, and keep connections of their own.
import type { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const pools = new Map<string, Dispatcher>();

/**
 * What decides a connection's TLS: the server, how it is verified, the client certificate.
 * A credential plugin (exec, auth-provider) may hand over a certificate of its own instead of
 * a token, which the kubeconfig does not show: its requests share a pool only when they carry
 * a token (the Authorization header, part of the key so that a refreshed one starts anew).
 */
function connectionKey(config: KubeConfig, authorization?: string): string | undefined {
  const cluster = config.getCurrentCluster();
  const user = config.getCurrentUser();
  if (!cluster) return undefined;
  const plugin = user?.exec !== undefined || user?.authProvider !== undefined;
  if (plugin && !authorization) return undefined;
  return JSON.stringify([
    cluster.server,
    cluster.caData,
    cluster.caFile,
    cluster.skipTLSVerify,
    cluster.tlsServerName,
    cluster.proxyUrl,
    user?.certData,
    user?.certFile,
    user?.keyData,
    user?.keyFile,
    plugin ? authorization : undefined,
  ]);
}

/** The client's own dispatcher factory (private in its types): an undici Agent per call. */
type DispatcherFactory = { createDispatcher(cluster: unknown, agentOptions: unknown): Dispatcher | undefined };

/**
 * The kubeconfig's credentials on `context` (as the client applies them), with the dispatcher
 * of the pool for its server and identity in place of a new one. The client builds a new Agent
 * only for a connection not yet pooled: building one per request and closing it unused cost
 * 0.1–0.25 s of the 2.8 s of CPU a 100-member join took (closing makes an error with a stack).
 */
export async function authenticateShared(config: KubeConfig, context: RequestContext): Promise<void> {
  const view = Object.create(config) as KubeConfig;
  const create = (config as unknown as DispatcherFactory).createDispatcher.bind(config);
  (view as unknown as DispatcherFactory).createDispatcher = (cluster, agentOptions) => {
    // Called once the credentials are in the headers: a plugin's token is part of the key.
    const key = connectionKey(config, context.getHeaders()['Authorization']);
    if (key === undefined) return create(cluster, agentOptions);
    let pool = pools.get(key);
    if (!pool) {
      pool = create(cluster, agentOptions);
      if (pool) pools.set(key, pool);
    }
    return pool;
  };
  await view.applySecurityAuthentication(context);
}

/** A view of `config` whose requests (the client's Health checks, say) share the pools. */
export function sharingConnections(config: KubeConfig): KubeConfig {
  const view = Object.create(config) as KubeConfig;
  view.applySecurityAuthentication = (context) => authenticateShared(config, context);
  return view;
}
