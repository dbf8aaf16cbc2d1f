// The kubeconfig input: YAML or base64, possibly several merged; every credential in it is
// collected for masking before anything is logged.
import { KubeConfig } from '@kubernetes/client-node';
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
 * YAML (several blobs separated by white space are merged).
 */
export function loadKubeconfig(input: string): LoadedKubeconfig {
  const text = input.trim();
  if (text === '') throw new KubeconfigError('kubeconfig: is required (YAML or base64 of a kubeconfig)');
  const secrets: string[] = [];
  let documents: unknown[];
  if (/^(apiVersion|kind|clusters|contexts|users|current-context|preferences)\s*:/m.test(text) || text.startsWith('{')) {
    documents = loadYaml(text);
  } else {
    secrets.push(...text.split(/\s+/));
    documents = text.split(/\s+/).flatMap((blob, i) => {
      const decoded = Buffer.from(blob, 'base64').toString('utf8');
      if (!/(clusters|contexts|users)\s*:/.test(decoded)) {
        throw new KubeconfigError(`kubeconfig: part ${i + 1} is neither kubeconfig YAML nor base64 of it`);
      }
      return loadYaml(decoded);
    });
  }
  const config = new KubeConfig();
  documents.forEach((doc, i) => {
    secrets.push(...credentialsIn(doc));
    const part = new KubeConfig();
    try {
      part.loadFromString(yaml.dump(doc));
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

function loadYaml(text: string): unknown[] {
  try {
    return yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    // The YAML parser quotes the offending line, which may hold a credential: report the
    // position only.
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    throw new KubeconfigError(`kubeconfig: invalid YAML${mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : ''}`);
  }
}

function credentialsIn(doc: unknown): string[] {
  const found: string[] = [];
  const d = (doc ?? {}) as { users?: { user?: Record<string, unknown> }[]; clusters?: { cluster?: Record<string, unknown> }[] };
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
    const env = (user.exec as { env?: { value?: unknown }[] } | undefined)?.env ?? [];
    for (const { value } of env) if (typeof value === 'string') found.push(value);
  }
  for (const { cluster = {} } of d.clusters ?? []) addEncoded(cluster['certificate-authority-data']);
  return found;
}

/** What is wrong with each wanted context (by the input that names it), in one message each. */
export function contextProblems(config: KubeConfig, wanted: { input: string; context: string }[]): string[] {
  const known = config.getContexts().map((c) => `"${c.name}"`);
  return wanted
    .filter(({ context }) => !config.getContextObject(context))
    .map(({ input, context }) => `${input}: context "${context}" is not in the kubeconfig; it has ${known.length ? known.join(', ') : 'no contexts'}`);
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
  const doc = ((base.trim() ? yaml.load(base) : undefined) ?? { apiVersion: 'v1', kind: 'Config' }) as Record<string, unknown>;
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
