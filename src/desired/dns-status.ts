// What the DNS controller says about its work, where `kubectl` finds it (pure): a ConfigMap
// `<fed>-dns-controller` in KubeFed's namespace of the federation API, holding the writes that
// keep failing, the members and addresses left out of the records, and the watches that fail,
// each as lines of text. It changes only when one of those does, so a quiet federation causes
// no writes. The DNS identity may write that one ConfigMap, nothing else there.
import type { Failure } from '../wait/retry.js';
import { KubeObject, ownedBy } from './objects.js';
import { identities } from './credentials.js';

export interface DnsControllerStatus {
  /** DNSEndpoints the federated Services need. */
  endpoints: number;
  failedWrites: [string, Failure][];
  leftOut: string[];
  watchFailures: { reason: string; sources: string[] }[];
}

export function dnsStatusName(federation: string): string {
  return `${federation}-dns-controller`;
}

/** Lines per entry: a ConfigMap holds at most 1 MiB, and thousands of Services could each say something. */
export const MAX_STATUS_LINES = 200;

const lines = (list: string[]) => {
  const shown = list.slice(0, MAX_STATUS_LINES);
  if (list.length > shown.length) shown.push(`... and ${list.length - shown.length} more, in the controller's log`);
  return shown.length ? `${shown.join('\n')}\n` : '';
};

/** The status as a ConfigMap; its data is text, each entry a line. */
export function dnsStatusConfigMap(federation: string, namespace: string, status: DnsControllerStatus): KubeObject {
  const failing = status.failedWrites.length;
  const summary =
    `${status.endpoints} DNSEndpoint(s) wanted; ${failing} write(s) failing; ` +
    `${status.leftOut.length} thing(s) left out of the records; ${status.watchFailures.length} watch failure(s)`;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: dnsStatusName(federation), namespace, labels: ownedBy(federation) },
    data: {
      summary: `${summary}\n`,
      'failed-writes': lines(
        status.failedWrites.map(
          ([key, f]) => `${key}: ${f.error} (failing since ${new Date(f.since).toISOString()}; retried with back-off)`,
        ),
      ),
      'left-out': lines(status.leftOut),
      watches: lines(status.watchFailures.map((w) => `${w.sources.join(', ')}: ${w.reason}`)),
    },
  };
}

/** The DNS identity's rights on its status ConfigMap, and no other. */
export function dnsStatusRights(federation: string, namespace: string): KubeObject[] {
  const name = identities(federation).dns;
  const labels = ownedBy(federation);
  const rbac = 'rbac.authorization.k8s.io/v1';
  return [
    {
      apiVersion: rbac,
      kind: 'Role',
      metadata: { name, namespace, labels },
      // A server-side apply that creates is authorized as a create of that name, so the one
      // name covers it: the DNS identity can touch no other ConfigMap.
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: [dnsStatusName(federation)],
          verbs: ['get', 'create', 'patch'],
        },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name }],
    },
  ];
}
