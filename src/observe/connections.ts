// One pool of kept-alive TLS connections per server and client identity, shared by every
// client of the run. The official client gives each request a new dispatcher (an undici Agent),
// and with it a new TCP connection and TLS handshake: three round trips where one would do
// across a real network, and a TLS context's CPU and memory each time (issue 23).
//
// kube-apiserver speaks HTTP/2 (ALPN), so requests made together go out as streams of one
// connection, as client-go's do (http2-origin.ts), all at once even on a new connection.
// Requests made while it is still connecting wait for it. A server that chose HTTP/1.1 is
// served by the pool's undici Agent; watches (observe/watch.ts) keep connections of their own.
//
// A pool's connection can be opened before its first request (preconnect): the probe through
// the federation's token waits for the token, but its TCP and TLS round trips need only the
// address and the CA, known when the member's join starts.
import { HttpMethod, type KubeConfig, RequestContext, type User } from '@kubernetes/client-node';
import type { Socket } from 'node:net';
// The undici the official client builds its Agents with (one version, deduplicated by npm).
import { Agent, buildConnector } from 'undici';
import { Http2Origin } from './http2-origin.js';

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
  const plugin = usesPlugin(user);
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
type DispatcherFactory = {
  createDispatcher(cluster: unknown, agentOptions: unknown): Dispatcher | undefined;
  /** What createDispatcher would build: an Agent's TLS options, or a proxy's. */
  createDispatcherOptions(
    cluster: unknown,
    agentOptions: unknown,
  ): { type: 'agent'; connect: buildConnector.BuildOptions } | { type: 'proxy' | 'socks' | 'none' };
};

/** Each pool's HTTP/2 requests (http.ts sends through it; undici only when the server chose HTTP/1.1). */
const http2Origins = new WeakMap<Dispatcher, Http2Origin>();

/** How the pool of `dispatcher` sends HTTP/2, when it is one of these pools. */
export const http2OriginOf = (dispatcher: Dispatcher): Http2Origin | undefined => http2Origins.get(dispatcher);

/**
 * The Agent the client would build for a direct TLS connection (the same options), beside
 * the HTTP/2 requests of its connection (http2-origin.ts), which opens it with the Agent's
 * connector. The Agent serves a server that chose HTTP/1.1. Through a proxy, the client's own Agent.
 */
function newPool(factory: DispatcherFactory, cluster: unknown, agentOptions: unknown): Dispatcher | undefined {
  const options = factory.createDispatcherOptions(cluster, agentOptions);
  if (options.type !== 'agent') return factory.createDispatcher(cluster, agentOptions);
  // h2 first, for a server that goes by the client's order (Go's, kube-apiserver's, by its own).
  const connect = buildConnector({ ...options.connect, allowH2: true, preferH2: true });
  const pool = new Agent({ connect });
  const openConnection = (origin: URL) =>
    new Promise<Socket>((resolve, reject) =>
      connect(
        {
          hostname: origin.hostname.replace(/^\[(.*)\]$/, '$1'),
          host: origin.host,
          protocol: origin.protocol,
          port: origin.port,
        },
        (err, socket) =>
          err || !socket ? reject(err ?? new Error(`cannot connect to ${origin.host}`)) : resolve(socket),
      ),
    );
  http2Origins.set(pool, new Http2Origin(openConnection));
  return pool;
}

/**
 * The kubeconfig's credentials on `context` (as the client applies them), with the dispatcher
 * of the pool for its server and identity in place of a new one. The client builds a new Agent
 * only for a connection not yet pooled: building one per request and closing it unused cost
 * 0.1–0.25 s of the 2.8 s of CPU a 100-member join took (closing makes an error with a stack).
 */
export async function authenticateShared(config: KubeConfig, context: RequestContext): Promise<void> {
  // Looked up first: finding the kubeconfig's user scans its contexts and users.
  let credentials = staticCredentials.get(config);
  if (!credentials) {
    if (usesPlugin(config.getCurrentUser())) return authenticatePooled(config, context);
    credentials = credentialsOf(config);
    staticCredentials.set(config, credentials);
    credentials.catch(() => staticCredentials.delete(config)); // the next request tries again
  }
  const { headers, dispatcher } = await credentials;
  for (const [name, value] of Object.entries(headers)) context.setHeaderParam(name, value);
  if (dispatcher) context.setDispatcher(dispatcher);
}

/** Whether the user's credentials come from a plugin (exec, auth-provider; the client reads an absent one as null). */
function usesPlugin(user: User | null): boolean {
  return Boolean(user?.exec ?? user?.authProvider);
}

/**
 * A user without a credential plugin (a certificate, a token, a password) is applied the same
 * to every request: it is applied once per kubeconfig (each is made for one context, and never
 * changed) and copied after. The client otherwise decodes the certificate, the key and the CA
 * again for each request, and the pool's key is built from them: a tenth of the CPU of a
 * 100-member no-op (issue 23).
 */
type Credentials = { headers: Record<string, string>; dispatcher: Dispatcher | undefined };
const staticCredentials = new WeakMap<KubeConfig, Promise<Credentials>>();

async function credentialsOf(config: KubeConfig): Promise<Credentials> {
  const applied = new RequestContext(config.getCurrentCluster()?.server ?? 'https://localhost', HttpMethod.GET);
  await authenticatePooled(config, applied);
  return { headers: applied.getHeaders(), dispatcher: applied.getDispatcher() };
}

async function authenticatePooled(config: KubeConfig, context: RequestContext): Promise<void> {
  const view = Object.create(config) as KubeConfig;
  const create = (config as unknown as DispatcherFactory).createDispatcher.bind(config);
  (view as unknown as DispatcherFactory).createDispatcher = (cluster, agentOptions) => {
    // Called once the credentials are in the headers: a plugin's token is part of the key.
    const key = connectionKey(config, context.getHeaders()['Authorization']);
    if (key === undefined) return create(cluster, agentOptions);
    let pool = pools.get(key);
    if (!pool) {
      pool = newPool(config as unknown as DispatcherFactory, cluster, agentOptions);
      if (pool) pools.set(key, pool);
    }
    return pool;
  };
  await view.applySecurityAuthentication(context);
}

/**
 * Opens the connection of `config`'s pool now, when the pool has made none, so that its first
 * request finds it open (or opening). Credentials are applied as for a request; nothing is sent.
 */
export async function preconnect(config: KubeConfig): Promise<void> {
  const server = config.getCurrentCluster()?.server;
  if (!server?.startsWith('https:')) return;
  const context = new RequestContext(server, HttpMethod.GET);
  await authenticateShared(config, context);
  const pool = context.getDispatcher();
  if (pool) http2Origins.get(pool)?.openAhead(new URL(server));
}
