// Read access to one cluster (host, federation API or member) through the official client.
// Writes live in apply.ts only.
import {
  ApiException,
  Configuration,
  CoreV1Api,
  CustomObjectsApi,
  HttpMethod,
  KubeConfig,
  KubernetesObjectApi,
  RequestContext,
  ServerConfiguration,
  createConfiguration,
  setHeaderMiddleware,
} from '@kubernetes/client-node';
import { authenticateShared } from './connections.js';
import { openStream, pooledHttpLibrary, send } from './http.js';
import type { Streamed } from './http2-origin.js';
import { ObjectApi } from './object-api.js';
import { VERSION } from '../inputs/version.js';
import { forContext } from '../inputs/kubeconfig.js';
import type { KubeObject, Target } from '../desired/objects.js';

export class ClusterError extends Error {
  constructor(
    message: string,
    /** The HTTP status the server answered with; undefined when it could not be reached. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

/**
 * Kinds whose manifests the client's typed models would mangle: a CRD's schema holds keys
 * such as `x-kubernetes-preserve-unknown-fields` that the model drops. They go to the server,
 * and come back, as raw JSON through the custom-objects API (which any resource can use).
 */
const RAW_KINDS: Record<string, { group: string; version: string; plural: string }> = {
  CustomResourceDefinition: { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' },
};

export function rawResource(obj: Pick<KubeObject, 'kind'>) {
  return RAW_KINDS[obj.kind];
}

export class Cluster {
  readonly api: KubernetesObjectApi;
  /** For RAW_KINDS: requests with the object as plain JSON. */
  readonly raw: CustomObjectsApi;
  /** For what the object API cannot read: events by field, a container's log, the API server's proxy. */
  readonly core: CoreV1Api;

  constructor(
    readonly target: Target,
    /** How the cluster is named to the user: its context, or "federation API". */
    readonly label: string,
    readonly config: KubeConfig,
    /** The deadline of each request (the DNS controller's tests shorten it). */
    readonly requestTimeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    // Every object the action reads or writes names its namespace: no default one is needed.
    this.api = new ObjectApi(requestConfiguration(config, requestTimeoutMs));
    this.raw = new CustomObjectsApi(requestConfiguration(config, requestTimeoutMs));
    this.core = new CoreV1Api(requestConfiguration(config, requestTimeoutMs));
  }

  /** The server URL, without any user name or password it holds (it appears in messages). */
  get server(): string {
    const server = this.config.getCurrentCluster()?.server ?? '';
    try {
      const url = new URL(server);
      if (!url.username && !url.password) return server;
      url.username = '';
      url.password = '';
      return url.toString().replace(/\/$/, '');
    } catch {
      return server;
    }
  }

  /** Calls the server, again (at most RETRIES times) while its answer says a moment will do (retryDelayMs). */
  async retrying<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const delayMs = err instanceof ApiException ? retryDelayMs(err.code, statusOf(err)) : undefined;
        if (delayMs === undefined || attempt >= RETRIES) throw err;
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  /** The object as the server has it, or undefined when it (or its API) does not exist. */
  async read(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<KubeObject | undefined> {
    const raw = rawResource(obj);
    try {
      if (raw)
        return (await this.retrying(() =>
          this.raw.getClusterCustomObject({ ...raw, name: obj.metadata.name }),
        )) as KubeObject;
      return await this.retrying(
        async () =>
          (await this.api.read({
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace },
          })) as KubeObject,
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.explain(err, `read ${obj.kind} ${obj.metadata.name}`);
    }
  }

  /** Objects of a kind with the given labels (all namespaces when none is given). */
  async list(apiVersion: string, kind: string, labelSelector: string, namespace?: string): Promise<KubeObject[]> {
    const raw = rawResource({ kind });
    try {
      const list = raw
        ? ((await this.retrying(() => this.raw.listClusterCustomObject({ ...raw, labelSelector }))) as {
            items: KubeObject[];
          })
        : await this.retrying(() =>
            this.api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector),
          );
      return list.items.map((item) => ({ apiVersion, kind, ...item }) as KubeObject);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw this.explain(err, `list ${kind}`);
    }
  }

  /** True when /readyz answers ok (as the client's Health would say, on the pooled connection). */
  async ready(timeoutMs = 5000): Promise<boolean> {
    try {
      const context = await this.#authenticatedGet('/readyz');
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return (await send(context)).httpStatusCode === 200;
    } catch {
      return false;
    }
  }

  /** GET `path` (with its query) whose answer is read as it comes (a watch); aborting `signal` ends it. */
  async stream(path: string, signal: AbortSignal): Promise<Streamed> {
    return openStream(await this.#authenticatedGet(path), signal);
  }

  /** A GET of `path` on the server with the kubeconfig's credentials and the pooled connection. */
  async #authenticatedGet(path: string): Promise<RequestContext> {
    const context = new RequestContext(`${this.config.getCurrentCluster()?.server ?? ''}${path}`, HttpMethod.GET);
    await withinDeadline(authenticateShared(this.config, context), path);
    return context;
  }

  /** Fails with a clear message when the cluster cannot be reached or refuses the credentials. */
  async ensureReachable(): Promise<void> {
    try {
      await this.api.list('v1', 'Namespace', undefined, undefined, undefined, undefined, undefined, undefined, 1);
    } catch (err) {
      throw this.explain(err, 'list namespaces');
    }
  }

  /** GET `path` of a pod's port through the API server's proxy (`kubectl get --raw .../proxy/...`). */
  async podProxyGet(namespace: string, pod: string, port: number, path: string): Promise<string> {
    try {
      return await this.retrying(() =>
        this.core.connectGetNamespacedPodProxyWithPath({ name: `${pod}:${port}`, namespace, path }),
      );
    } catch (err) {
      throw this.explain(err, `read ${path} of pod ${namespace}/${pod} through the API server's proxy`);
    }
  }

  /** An error that names the cluster and what was being done, without echoing request bodies. */
  explain(err: unknown, doing: string): ClusterError {
    if (err instanceof ApiException) {
      const reason = statusOf(err)?.message ?? (typeof err.body === 'string' ? err.body : '');
      return new ClusterError(`${this.label}: ${doing}: HTTP ${err.code}${reason ? `: ${reason}` : ''}`, err.code);
    }
    // A connection's failure names its cause by code (ECONNREFUSED, a TLS verification's).
    const failure = ((err as { cause?: unknown }).cause ?? err) as { code?: unknown; message?: string };
    const detail = typeof failure.code === 'string' ? failure.code : (failure.message ?? String(err));
    return new ClusterError(`${this.label}: cannot ${doing} at ${this.server}: ${detail}`);
  }
}

/**
 * A server that accepts the connection and never answers must not hold a run: every request
 * has a deadline (a wait's own bound is `timeout`; one request never takes longer than this).
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Rejects when `work` has not settled within the request deadline: credentials come first
 * (an exec plugin may run), before any request's own deadline starts.
 */
export function withinDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${REQUEST_TIMEOUT_MS / 1000}s`)),
      REQUEST_TIMEOUT_MS,
    );
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The client's configuration for a cluster, with a deadline on its credentials and each request. */
export function requestConfiguration(config: KubeConfig, timeoutMs = REQUEST_TIMEOUT_MS): Configuration {
  const credentials = {
    getName: () => 'default',
    applySecurityAuthentication: (context: Parameters<KubeConfig['applySecurityAuthentication']>[0]) =>
      withinDeadline(authenticateShared(config, context), "the kubeconfig user's credentials (exec plugin)"),
  };
  return createConfiguration({
    baseServer: new ServerConfiguration(config.getCurrentCluster()?.server ?? '', {}),
    httpApi: pooledHttpLibrary,
    authMethods: { default: credentials },
    middleware: [setHeaderMiddleware('User-Agent', `kubefed-action/${VERSION}`)],
    promiseMiddleware: [
      {
        pre: async (context) => {
          // Aborted with an Error of its own (the client rewrites the message of what it gets,
          // which a DOMException does not allow), saying what happened.
          const deadline = new AbortController();
          setTimeout(() => deadline.abort(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs).unref();
          context.setSignal(deadline.signal);
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
}

/** The host cluster, reached through its kubeconfig context. */
export function hostCluster(kubeconfig: KubeConfig, context: string): Cluster {
  return new Cluster({ kind: 'host' }, `host cluster (context "${context}")`, forContext(kubeconfig, context));
}

const RETRIES = 10;

interface Status {
  message?: string;
  details?: { retryAfterSeconds?: number };
}

/**
 * How long to wait before calling again after an answer with HTTP `code`, or undefined when
 * calling again would not help:
 * - 429 (a new CRD's storage answers so while it initializes) and 503 name their delay;
 * - 500 for an admission webhook the server could not call: the object was not stored, and
 *   on a real node the webhook's Service reaches its Pod a moment after the Pod is Ready
 *   (kube-proxy syncs its rules afterwards), so a write right after the wait for it meets
 *   "connection refused". A webhook that denies the write answers 4xx, never retried.
 */
export function retryDelayMs(code: number, status: Status | undefined): number | undefined {
  if (code === 429 || code === 503) {
    const seconds = Number(status?.details?.retryAfterSeconds ?? 1);
    return Math.min(Math.max(seconds, 0.2), 5) * 1000;
  }
  if (code === 500 && /failed calling webhook/.test(status?.message ?? '')) return 1000;
  return undefined;
}

/** The Status the server answered with; the client hands it over parsed or as JSON text. */
function statusOf(err: ApiException<unknown>): Status | undefined {
  if (typeof err.body === 'object' && err.body !== null) return err.body as Status;
  try {
    return JSON.parse(String(err.body)) as Status;
  } catch {
    return undefined;
  }
}

export function isNotFound(err: unknown): boolean {
  if (err instanceof ApiException) return err.code === 404;
  // The client reports an API group that does not exist (yet) this way, before any request.
  return (
    err instanceof Error &&
    /Unrecognized API version and kind|Failed to fetch resource metadata.*404/s.test(err.message)
  );
}
