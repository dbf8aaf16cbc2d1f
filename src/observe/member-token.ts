// The federation's credentials for a member, as the member's token controller issues them.
import { readFileSync } from 'node:fs';
import { MEMBER_NAMESPACE, memberNames } from '../desired/member-objects.js';
import { KubeObject, fromBase64 } from '../desired/objects.js';
import type { Spec } from '../inputs/spec.js';
import type { Log } from '../report/log.js';
import { waitFor } from '../wait/poll.js';
import type { Cluster } from './cluster.js';
import { type ObjectWatch, watchObject } from './object-watch.js';

/**
 * The federation's token in the member, once the token controller has issued it (waited for up
 * to `waitMs`), and the cluster CA the controller put beside it: from `known` (the Secret as
 * read before the run's writes), else from `watched` (opened before them), else read.
 */
export async function federationToken(
  member: Cluster,
  spec: Spec,
  cluster: string,
  waitMs: number,
  log: Log,
  known?: KubeObject,
  watched?: TokenWatch,
): Promise<Token> {
  const n = memberNames(spec.federationName, cluster);
  const ref = { apiVersion: 'v1', kind: 'Secret', metadata: { name: n.tokenSecret, namespace: MEMBER_NAMESPACE } };
  let arrived: Token | undefined;
  void watched?.found.then((token) => (arrived = token));
  const read = async () => arrived ?? tokenOf(await member.read(ref));
  const already = known?.metadata.name === n.tokenSecret ? tokenOf(known) : undefined;
  if (already?.token) return already;
  // The watch tells the token as soon as the controller has filled it in; reads (and the
  // progress they log) take over when it has not within a moment, or failed.
  let found = (watched && (await within(watched.found, WATCH_ALONE_MS))) ?? (await read());
  if (found.token || waitMs <= 0) return found;
  await waitFor(
    `the token of ServiceAccount ${MEMBER_NAMESPACE}/${n.serviceAccount} in ${member.label}`,
    waitMs,
    log,
    async () => {
      found = await read();
      return found.token ? null : 'the token controller has not filled in the Secret yet';
    },
  );
  return found;
}

/** The federation's token in a member and the cluster CA beside it. */
export interface Token {
  token: string;
  caPem?: string;
}

export type TokenWatch = ObjectWatch<Token>;

/**
 * How long a token is waited for through its watch alone: the controller fills it in within
 * milliseconds, and a read finds nothing sooner; a watch that has told nothing by then is read past.
 */
const WATCH_ALONE_MS = 5000;

/**
 * Watches the member's token Secret until the token controller has filled it in: opened before
 * the Secret is written, it tells the token a round trip before a read after the write could.
 */
export function watchToken(member: Cluster, spec: Spec, cluster: string, timeoutMs: number): TokenWatch {
  const { tokenSecret } = memberNames(spec.federationName, cluster);
  return watchObject(member, `/api/v1/namespaces/${MEMBER_NAMESPACE}/secrets`, tokenSecret, timeoutMs, (secret) => {
    const token = tokenOf(secret);
    return token.token ? token : undefined;
  });
}

/** What `work` settles to within `ms`, else undefined. */
async function within<T>(work: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The token (and cluster CA) a token Secret holds; an empty token when it has none yet. */
export function tokenOf(secret?: KubeObject): Token {
  const data = (secret?.data ?? {}) as Record<string, string>;
  return { token: fromBase64(data.token) ?? '', caPem: fromBase64(data['ca.crt']) };
}

/** The CA the kubeconfig trusts for the member's API server (PEM), if it names one. */
export function caOf(member: Cluster): string | undefined {
  const cluster = member.config.getCurrentCluster();
  if (cluster?.caData) return fromBase64(cluster.caData);
  if (cluster?.caFile) return readFileSync(cluster.caFile, 'utf8');
  return undefined;
}
