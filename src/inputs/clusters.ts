// The `clusters` input: a YAML list of member clusters, or one name per line.
import * as yaml from 'js-yaml';
import { rfc1035LabelError, rfc1123SubdomainError } from './names.js';

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

/** An API server URL a federation can record: https, a host, no credentials, nothing after the path. */
function httpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      url.protocol === 'https:' && url.hostname !== '' && !url.username && !url.password && !url.search && !url.hash
    );
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
  if (!Array.isArray(items))
    items = value
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
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
    if (unknown.length > 0)
      problems.push(
        `clusters: ${where} has unknown field(s) ${unknown.join(', ')} (allowed: name, context, secret-name, endpoint)`,
      );
    const text = (key: string) => (fields[key] === undefined || fields[key] === null ? '' : String(fields[key]));
    const name = text('name');
    if (name === '') {
      problems.push(`clusters: ${where} has no name`);
      return;
    }
    const endpoint = text('endpoint') || undefined;
    const cluster: ClusterSpec = {
      name,
      context: text('context') || name,
      secretName: text('secret-name') || name,
      ...(endpoint ? { endpoint } : {}),
    };
    if (endpoint && !httpsUrl(endpoint))
      problems.push(
        `clusters: endpoint "${endpoint}" of cluster "${name}" is not an https:// URL without user name or password`,
      );
    const nameError = rfc1035LabelError(cluster.name);
    if (nameError) {
      problems.push(
        `clusters: cluster name "${name}" ${nameError}; ` +
          'join it under a valid name and give its kubeconfig context as "context"',
      );
    }
    const secretError = rfc1123SubdomainError(cluster.secretName);
    if (secretError) {
      problems.push(
        `clusters: secret name "${cluster.secretName}" of cluster "${name}" ${secretError}; set "secret-name"`,
      );
    }
    if (clusters.some((c) => c.name === name)) problems.push(`clusters: cluster "${name}" is listed twice`);
    else if (clusters.some((c) => c.secretName === cluster.secretName)) {
      problems.push(`clusters: secret name "${cluster.secretName}" is used by two clusters`);
    }
    clusters.push(cluster);
  });
  return clusters;
}
