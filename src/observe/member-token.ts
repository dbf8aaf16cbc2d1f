// The federation's credentials for a member, as the member's token controller issues them.
import { readFileSync } from 'node:fs';
import { MEMBER_NAMESPACE, memberNames } from '../desired/member-objects.js';
import { KubeObject, fromBase64 } from '../desired/objects.js';
import type { Spec } from '../inputs/spec.js';
import type { Log } from '../report/log.js';
import { waitFor } from '../wait/poll.js';
import type { Cluster } from './cluster.js';

/**
 * The federation's token in the member, once the token controller has issued it (waited for up
 * to `waitMs`), and the cluster CA the controller put beside it.
 */
export async function federationToken(
  member: Cluster,
  spec: Spec,
  cluster: string,
  waitMs: number,
  log: Log,
  known?: KubeObject,
): Promise<{ token: string; caPem?: string }> {
  const n = memberNames(spec.federationName, cluster);
  const ref = { apiVersion: 'v1', kind: 'Secret', metadata: { name: n.tokenSecret, namespace: MEMBER_NAMESPACE } };
  const read = async () => tokenOf(await member.read(ref));
  const already = known?.metadata.name === n.tokenSecret ? tokenOf(known) : undefined;
  let found = already?.token ? already : await read();
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

/** The token (and cluster CA) a token Secret holds; an empty token when it has none yet. */
export function tokenOf(secret?: KubeObject): { token: string; caPem?: string } {
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
