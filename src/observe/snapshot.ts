// A cluster whose reads of some kinds in one namespace are answered from one list of each,
// taken up front: the members' records in the federation (KubeFedClusters and their Secrets)
// are read once for all members, not once per member. Reads of anything else, and every
// write, go to the server; the lists are not updated by writes, so a snapshot serves one
// observation pass (a run's membership, or one health check), and is then dropped.
import { Cluster } from './cluster.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import type { KubeObject } from '../desired/objects.js';

type Kind = readonly [apiVersion: string, kind: string];

const keyOf = (apiVersion: string, kind: string, name: string) => `${apiVersion}|${kind}|${name}`;

export class SnapshotCluster extends Cluster {
  private constructor(
    base: Cluster,
    private readonly namespace: string,
    private readonly kinds: Set<string>,
    private readonly held: Map<string, KubeObject>,
  ) {
    super(base.target, base.label, base.config);
  }

  /** Lists `kinds` in `namespace` on `base` (one request each). */
  static async of(base: Cluster, namespace: string, kinds: Kind[]): Promise<SnapshotCluster> {
    const lists = await Promise.all(kinds.map(([apiVersion, kind]) => base.list(apiVersion, kind, '', namespace)));
    const held = new Map(lists.flat().map((o) => [keyOf(o.apiVersion, o.kind, o.metadata.name), o] as const));
    return new SnapshotCluster(base, namespace, new Set(kinds.map(([v, k]) => `${v}|${k}`)), held);
  }

  private covers(apiVersion: string, kind: string, namespace?: string): boolean {
    return namespace === this.namespace && this.kinds.has(`${apiVersion}|${kind}`);
  }

  override async read(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<KubeObject | undefined> {
    if (!this.covers(obj.apiVersion, obj.kind, obj.metadata.namespace)) return super.read(obj);
    return this.held.get(keyOf(obj.apiVersion, obj.kind, obj.metadata.name));
  }

  override async list(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    namespace?: string,
  ): Promise<KubeObject[]> {
    const terms = labelSelector.split(',').filter(Boolean);
    // Equality terms are answered here; any other selector goes to the server.
    if (!this.covers(apiVersion, kind, namespace) || !terms.every((t) => /^[^=!]+=[^=!]*$/.test(t)))
      return super.list(apiVersion, kind, labelSelector, namespace);
    const wanted = terms.map((term) => term.split('='));
    return [...this.held.values()].filter(
      (o) => o.apiVersion === apiVersion && o.kind === kind && wanted.every(([k, v]) => o.metadata.labels?.[k] === v),
    );
  }
}

/** The members' records in the federation: KubeFedClusters and Secrets of its namespace. */
export const MEMBER_RECORD_KINDS: Kind[] = [
  [KUBEFED_API, 'KubeFedCluster'],
  ['v1', 'Secret'],
];
