// The federated objects as KubeFed reports on them, read from the federation API in lists: the
// FederatedTypeConfigs (which types are propagated, which collect their members' status), one list
// per enabled federated type, KubeFed's KubeFedConfig (is status collection on at all) and, when a
// type's rollout is judged, KubeFed's PropagatedVersions (the generation it wrote to each member).
import { KUBEFED_ALPHA, KUBEFED_API } from '../desired/kubefed-crds.js';
import type { KubeObject } from '../desired/objects.js';
import {
  type Rollout,
  type TargetType,
  federatedApi,
  findType,
  rolloutOf,
  typeConfigName,
} from '../desired/federated-types.js';
import { InputError } from '../inputs/spec.js';
import type { FederatedStatusFields } from '../wait/delivery.js';
import type { Cluster } from './cluster.js';

/** Which federated objects are judged: all, or those in a namespace and/or matching labels. */
export interface PropagationSelection {
  namespace?: string;
  /** A Kubernetes label selector, e.g. "app=web,tier in (front)". */
  labelSelector?: string;
  /** One federated type, by any of its names (deployments.apps, deploy, FederatedDeployment, fdeploy). */
  type?: string;
  /** One object of it, by name. */
  name?: string;
}

export interface FederatedTypeView {
  /** The FederatedTypeConfig's name, e.g. deployments.apps. */
  name: string;
  federatedKind: string;
  targetKind: string;
  rollout?: Rollout;
  /** KubeFed collects the members' status of this type (the feature gate and the type's statusCollection). */
  collecting: boolean;
  objects: FederatedStatusFields[];
}

export interface PropagationView {
  types: FederatedTypeView[];
  /** `<namespace>/<target kind, lower case>-<name>` → member → the generation KubeFed wrote there. */
  memberGenerations: Map<string, Map<string, number>>;
}

interface TypeConfigFields {
  metadata: { name: string };
  spec?: {
    targetType?: { group?: string; kind?: string };
    federatedType?: { group?: string; version?: string; kind?: string };
    propagation?: string;
    statusCollection?: string;
  };
}

/** Whether KubeFed's KubeFedConfig turns RawResourceStatusCollection on. */
async function collectionEnabled(federation: Cluster, namespace: string): Promise<boolean> {
  const config = await federation.read({
    apiVersion: KUBEFED_API,
    kind: 'KubeFedConfig',
    metadata: { name: 'kubefed', namespace },
  });
  const gates = ((config?.spec as { featureGates?: { name: string; configuration: string }[] } | undefined)
    ?.featureGates ?? []) as { name: string; configuration: string }[];
  return gates.some((g) => g.name === 'RawResourceStatusCollection' && g.configuration === 'Enabled');
}

/**
 * Reads every enabled federated type's selected objects: a list per type, never a read per
 * object. The lists of the `likely` types (those the spec enables) go out beside the
 * FederatedTypeConfigs' list instead of after it, a round trip less at the end of a run; one the
 * configs do not show propagated is dropped, and a type they show besides is listed after them.
 */
export async function readPropagation(
  federation: Cluster,
  kubefedNamespace: string,
  selection: PropagationSelection,
  likely: TargetType[] = [],
): Promise<PropagationView> {
  const listOf = (fed: { group?: string; version?: string; kind?: string }) =>
    federation.list(`${fed.group}/${fed.version}`, fed.kind ?? '', selection.labelSelector ?? '', selection.namespace);
  const early = new Map<string, Promise<KubeObject[]>>();
  for (const t of selection.type ? [] : likely) {
    const api = federatedApi(t);
    const listed = listOf(api);
    // Awaited only when the type turns out propagated: a failure of one dropped is no one's.
    listed.catch(() => undefined);
    early.set(`${api.group}/${api.version}/${api.kind}`, listed);
  }
  const [configs, gate] = await Promise.all([
    federation.list(KUBEFED_API, 'FederatedTypeConfig', '', kubefedNamespace),
    collectionEnabled(federation, kubefedNamespace),
  ]);
  const propagated = (configs as unknown as TypeConfigFields[])
    .filter((c) => c.spec?.propagation === 'Enabled' && c.spec.federatedType?.kind && c.spec.federatedType.group)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const enabled = selection.type ? propagated.filter((c) => namesType(c, selection.type ?? '')) : propagated;
  if (selection.type && !enabled.length) {
    const names = propagated.map((c) => c.metadata.name).join(', ') || 'none';
    throw new InputError([
      `type: "${selection.type}" is not a type the federation propagates (it propagates: ${names})`,
    ]);
  }
  const types = await Promise.all(
    enabled.map(async (c): Promise<FederatedTypeView> => {
      const fed = c.spec?.federatedType ?? {};
      const target = c.spec?.targetType ?? {};
      const objects = await (early.get(`${fed.group}/${fed.version}/${fed.kind}`) ?? listOf(fed));
      return {
        name: c.metadata.name,
        federatedKind: fed.kind ?? '',
        targetKind: target.kind ?? '',
        rollout: rolloutOf(target.group ?? '', target.kind ?? ''),
        collecting: gate && c.spec?.statusCollection === 'Enabled',
        // One being deleted is no longer to be delivered (KubeFed removes it from the members).
        objects: (objects as unknown as FederatedStatusFields[])
          .filter((o) => !(o.metadata as { deletionTimestamp?: unknown }).deletionTimestamp)
          .filter((o) => selection.name === undefined || o.metadata.name === selection.name)
          .sort((a, b) => objectKey(a).localeCompare(objectKey(b))),
      };
    }),
  );
  const judgesRollout = types.some((t) => t.rollout && t.collecting && t.objects.length);
  const versions = judgesRollout
    ? await federation.list(
        `${KUBEFED_API.split('/')[0]}/${KUBEFED_ALPHA}`,
        'PropagatedVersion',
        '',
        selection.namespace,
      )
    : [];
  return { types, memberGenerations: generationsOf(versions) };
}

/** Whether `name` names the type of FederatedTypeConfig `c`: its own name, its target's or its federated kind's. */
function namesType(c: TypeConfigFields, name: string): boolean {
  const wanted = name.trim().toLowerCase();
  const fed = c.spec?.federatedType as { kind?: string; pluralName?: string } | undefined;
  const target = c.spec?.targetType as { kind?: string; pluralName?: string } | undefined;
  const names = [c.metadata.name, fed?.kind, fed?.pluralName, target?.kind, target?.pluralName];
  // A short name: the target's (deploy), or the federated type's (fdeploy).
  const known = [findType(wanted), wanted.startsWith('f') ? findType(wanted.slice(1)) : undefined];
  return (
    names.some((n) => n?.toLowerCase() === wanted) ||
    known.some((t) => t !== undefined && typeConfigName(t) === c.metadata.name)
  );
}

const objectKey = (o: { metadata: { name: string; namespace?: string } }) =>
  `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** KubeFed's PropagatedVersion of a target object: `<target kind, lower case>-<name>` in its namespace. */
export const versionKey = (namespace: string | undefined, targetKind: string, name: string) =>
  `${namespace ?? ''}/${targetKind.toLowerCase()}-${name}`;

/** Each PropagatedVersion's member generations ("gen:N"; "rv:..." versions carry none). */
function generationsOf(versions: KubeObject[]): Map<string, Map<string, number>> {
  return new Map(
    versions.map((v) => {
      const clusters = ((v.status as { clusterVersions?: { clusterName: string; version: string }[] } | undefined)
        ?.clusterVersions ?? []) as { clusterName: string; version: string }[];
      const generations = clusters.flatMap((c) => {
        const m = /^gen:(\d+)$/.exec(c.version);
        return m ? [[c.clusterName, Number(m[1])] as const] : [];
      });
      return [objectKey(v), new Map(generations)];
    }),
  );
}
