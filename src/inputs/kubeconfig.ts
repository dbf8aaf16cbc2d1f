// The kubeconfig input: YAML or base64, possibly several merged; every credential in it is
// collected for masking before anything is logged.
import { KubeConfig } from '@kubernetes/client-node';
// What the client's loadFromString does with a parsed document (not in its index): a document
// already parsed here is read as it is, not written out and parsed again (a tenth of a
// 100-member no-op's CPU went to the kubeconfig, most of it the second and third parse).
import { newClusters, newContexts, newUsers } from '@kubernetes/client-node/dist/config_types.js';
import * as yaml from 'js-yaml';

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

export interface LoadedKubeconfig {
  config: KubeConfig;
  /** Every token, password, key and certificate it holds, encoded and decoded. */
  secrets: string[];
}

const USER_SECRET_FIELDS = ['token', 'password', 'client-key-data', 'client-certificate-data'];
const AUTH_PROVIDER_SECRET_FIELDS = ['access-token', 'refresh-token', 'id-token', 'client-secret'];

/**
 * Parses the kubeconfig input. It may be YAML (several documents are merged) or base64 of
 * YAML: wrapped at any width (as `base64` and `openssl base64` write it), several separated by
 * a blank line or `---`, or several one-line blobs separated by white space; all are merged.
 */
export function loadKubeconfig(input: string): LoadedKubeconfig {
  const text = input.trim();
  if (text === '') throw new KubeconfigError('kubeconfig: is required (YAML or base64 of a kubeconfig)');
  const secrets: string[] = [];
  let documents: unknown[];
  if (
    /^(apiVersion|kind|clusters|contexts|users|current-context|preferences)\s*:/m.test(text) ||
    text.startsWith('{')
  ) {
    documents = loadYaml(text);
  } else {
    const blobs = base64Blobs(text);
    // The runner masks line by line: each line of the input as given, and each whole blob.
    secrets.push(...text.split(/\s+/), ...blobs);
    documents = blobs.flatMap((blob, i) => {
      const decoded = Buffer.from(blob, 'base64').toString('utf8');
      if (!looksLikeKubeconfig(decoded)) {
        throw new KubeconfigError(`kubeconfig: part ${i + 1} is neither kubeconfig YAML nor base64 of it`);
      }
      return loadYaml(decoded);
    });
  }
  const config = new KubeConfig();
  documents.forEach((doc, i) => {
    const problem = shapeProblem(doc);
    if (problem) throw new KubeconfigError(`kubeconfig: document ${i + 1}: ${problem}`);
    secrets.push(...credentialsIn(doc));
    const part = new KubeConfig();
    try {
      const { clusters, contexts, users, 'current-context': currentContext } = doc as Record<string, unknown>;
      part.loadFromOptions({
        clusters: newClusters(clusters),
        contexts: newContexts(contexts),
        users: newUsers(users),
        currentContext,
      });
    } catch (err) {
      throw new KubeconfigError(`kubeconfig: document ${i + 1} is not a valid kubeconfig: ${(err as Error).message}`);
    }
    try {
      config.mergeConfig(part, i > 0);
    } catch (err) {
      throw new KubeconfigError(`kubeconfig: document ${i + 1} cannot be merged: ${(err as Error).message}`);
    }
  });
  return { config, secrets: [...new Set(secrets.filter((s) => s.length >= 4))] };
}

const SECTIONS = { clusters: 'cluster', users: 'user', contexts: 'context' } as const;

/** What is wrong with a document's shape, said in kubeconfig terms; null when it is fine. */
function shapeProblem(doc: unknown): string | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return 'is not a mapping (apiVersion, clusters, users, contexts)';
  for (const [section, field] of Object.entries(SECTIONS)) {
    const entries = (doc as Record<string, unknown>)[section];
    if (entries === undefined || entries === null) continue;
    const entryOk = (e: unknown) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
      const { name, [field]: body } = e as Record<string, unknown>;
      return (
        typeof name === 'string' &&
        name !== '' &&
        (body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body)))
      );
    };
    if (!Array.isArray(entries) || !entries.every(entryOk))
      return `"${section}" must be a list of entries with a name and a "${field}" mapping`;
  }
  return null;
}

const looksLikeKubeconfig = (text: string) => /(clusters|contexts|users)\s*:/.test(text);

/**
 * The base64 blobs of the input: blocks separated by blank lines or `---`; a block is one blob
 * wrapped over lines when it has that shape (every line but the last of one width, padding
 * only at the end) and its lines joined decode to a kubeconfig; otherwise each line or word
 * is a blob of its own (the older form).
 */
function base64Blobs(text: string): string[] {
  return text
    .split(/\n\s*\n|^---\s*$/m)
    .map((block) => block.trim())
    .filter((block) => block !== '')
    .flatMap((block) => (isWrapped(block) ? [block.replace(/\s+/g, '')] : block.split(/\s+/)));
}

function isWrapped(block: string): boolean {
  const lines = block.split(/\s*\n\s*/);
  if (lines.length < 2) return false;
  const width = lines[0].length;
  const shaped =
    lines.slice(0, -1).every((l) => l.length === width && !l.includes('=')) && lines[lines.length - 1].length <= width;
  if (!shaped) return false;
  const decoded = Buffer.from(lines.join(''), 'base64').toString('utf8');
  try {
    return looksLikeKubeconfig(decoded) && yaml.loadAll(decoded).length > 0;
  } catch {
    return false;
  }
}

function loadYaml(text: string): unknown[] {
  try {
    return yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    // The YAML parser quotes the offending line, which may hold a credential: report the
    // position only.
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    throw new KubeconfigError(
      `kubeconfig: invalid YAML${mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : ''}`,
    );
  }
}

function credentialsIn(doc: unknown): string[] {
  const found: string[] = [];
  const d = (doc ?? {}) as {
    users?: { user?: Record<string, unknown> }[];
    clusters?: { cluster?: Record<string, unknown> }[];
  };
  const addEncoded = (value: unknown) => {
    if (typeof value !== 'string') return;
    found.push(value, Buffer.from(value, 'base64').toString('utf8'));
  };
  for (const { user = {} } of d.users ?? []) {
    for (const field of USER_SECRET_FIELDS) {
      if (field.endsWith('-data')) addEncoded(user[field]);
      else if (typeof user[field] === 'string') found.push(user[field] as string);
    }
    const providerConfig = (user['auth-provider'] as { config?: Record<string, unknown> } | undefined)?.config ?? {};
    for (const field of AUTH_PROVIDER_SECRET_FIELDS) {
      if (typeof providerConfig[field] === 'string') found.push(providerConfig[field] as string);
    }
    // An exec plugin's env and args may carry a token or a password.
    const exec = (user.exec ?? {}) as { env?: { value?: unknown }[]; args?: unknown[] };
    for (const { value } of Array.isArray(exec.env) ? exec.env : []) if (typeof value === 'string') found.push(value);
    for (const arg of Array.isArray(exec.args) ? exec.args : [])
      if (typeof arg === 'string') found.push(arg, ...arg.split('=').slice(1));
  }
  for (const { cluster = {} } of d.clusters ?? []) {
    addEncoded(cluster['certificate-authority-data']);
    // A password in a server URL (https://user:password@host).
    if (typeof cluster.server === 'string') {
      try {
        const url = new URL(cluster.server);
        if (url.password) found.push(url.password, decodeURIComponent(url.password));
      } catch {
        // not a URL: the client refuses it later, naming the cluster
      }
    }
  }
  return found;
}

/** What is wrong with each wanted context (by the input that names it), in one message each. */
export function contextProblems(config: KubeConfig, wanted: { input: string; context: string }[]): string[] {
  const known = config.getContexts().map((c) => `"${c.name}"`);
  return wanted
    .filter(({ context }) => !config.getContextObject(context))
    .map(
      ({ input, context }) =>
        `${input}: context "${context}" is not in the kubeconfig; ` +
        `it has ${known.length ? known.join(', ') : 'no contexts'}`,
    );
}

/** A KubeConfig whose current context is `context`, or an error naming the contexts that exist. */
export function forContext(config: KubeConfig, context: string, input = 'host-cluster-context'): KubeConfig {
  const [problem] = contextProblems(config, [{ input, context }]);
  if (problem) throw new KubeconfigError(problem);
  const scoped = new KubeConfig();
  scoped.loadFromOptions({
    clusters: config.getClusters(),
    users: config.getUsers(),
    contexts: config.getContexts(),
    currentContext: context,
  });
  return scoped;
}

/**
 * The kubeconfig `base` (YAML) with the clusters, users and contexts of `added` put in, each
 * replacing any of the same name, and everything else (current context included) kept: how
 * `kubefed init` adds the federation's context to the user's kubeconfig.
 */
export function mergeKubeconfigText(base: string, added: string): string {
  const doc = ((base.trim() ? yaml.load(base) : undefined) ?? { apiVersion: 'v1', kind: 'Config' }) as Record<
    string,
    unknown
  >;
  const extra = yaml.load(added) as Record<string, unknown>;
  for (const key of ['clusters', 'users', 'contexts']) {
    const entries = [...((doc[key] as { name: string }[] | null | undefined) ?? [])];
    for (const entry of (extra[key] as { name: string }[] | undefined) ?? []) {
      const at = entries.findIndex((e) => e.name === entry.name);
      if (at >= 0) entries[at] = entry;
      else entries.push(entry);
    }
    doc[key] = entries;
  }
  return yaml.dump(doc);
}
