// `kubefed federate <type> <name>`, as kubefedctl federate: an object in the federation API
// becomes its Federated<Kind>, placed on every member, once its type is enabled; with --contents
// a namespace and everything in it. A Federated<Kind> someone else made is never taken over
// (kubefedctl answers AlreadyExists) unless the user says --overwrite.
import { converge } from '../apply/converge.js';
import { federatedObject } from '../desired/federated-object.js';
import { FEDERATED_GROUP, FEDERATED_VERSION, type TargetType, typeConfigName } from '../desired/federated-types.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import { FIELD_MANAGER, type KubeObject, objectRef } from '../desired/objects.js';
import { InputError } from '../inputs/spec.js';
import { type TypedObjects, namespaceContents, resolveType } from '../observe/api-resources.js';
import type { Cluster } from '../observe/cluster.js';
import { enableResolvedTypes } from './enable-types.js';
import { type Phase, federationOf } from './scope.js';

export interface FederateTarget {
  /** The type as the command line names it. */
  type: string;
  name: string;
  /** Where a namespaced object is read from. */
  namespace: string;
  /** Enable a type that is not (kubefedctl's --enable-type). */
  enableType: boolean;
  /** Take over a Federated<Kind> that kubefed federate did not make. */
  overwrite: boolean;
  /** A namespace with everything in it (kubefedctl's --contents), but for these types or groups. */
  contents?: { skip: string[] };
  /** Wait until the objects federated are delivered to their members (kubefed federate --wait). */
  wait?: boolean;
  /** Only print the federated objects (-o yaml|json): no type needs to be enabled, nothing is checked. */
  printOnly: boolean;
}

/** Whether kubefed federate made `current`: its server-side apply, under the action's field manager. */
const madeByFederate = (current: KubeObject): boolean =>
  ((current.metadata.managedFields ?? []) as { manager?: string; operation?: string }[]).some(
    (f) => f.manager === FIELD_MANAGER && f.operation === 'Apply',
  );

/** The object to federate, and with --contents everything in its namespace. */
async function readTargets(federation: Cluster, target: FederateTarget, warnings: string[]): Promise<TypedObjects[]> {
  const type = await resolveType(federation, target.type);
  const namespace = type.scope === 'Namespaced' ? target.namespace : undefined;
  const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
  const resource = await federation.read({ apiVersion, kind: type.kind, metadata: { name: target.name, namespace } });
  if (!resource) {
    const where = namespace ? ` in namespace "${namespace}"` : '';
    throw new InputError([`${type.kind} "${target.name}" does not exist${where} in ${federation.label}`]);
  }
  if (!target.contents) return [{ type, objects: [resource] }];
  if (!(type.group === '' && type.kind === 'Namespace'))
    throw new InputError([`--contents: only a namespace has contents, not a ${type.kind}`]);
  const { contents, warnings: skipped } = await namespaceContents(federation, target.name, target.contents.skip);
  warnings.push(...skipped);
  return [{ type, objects: [resource] }, ...contents];
}

/**
 * Each type as KubeFed propagates it (the federated group and version of its FederatedTypeConfig),
 * and those not enabled yet.
 */
async function enabledTypes(federation: Cluster, namespace: string, types: TargetType[]) {
  const configs = await Promise.all(
    types.map((t) =>
      federation.read({
        apiVersion: KUBEFED_API,
        kind: 'FederatedTypeConfig',
        metadata: { name: typeConfigName(t), namespace },
      }),
    ),
  );
  const missing = types.filter((_, i) => !configs[i]);
  const asEnabled = types.map((t, i) => {
    const federated = (configs[i]?.spec as { federatedType?: { group?: string; version?: string } })?.federatedType;
    const group = federated?.group ?? FEDERATED_GROUP;
    const version = federated?.version ?? FEDERATED_VERSION;
    return group === FEDERATED_GROUP && version === FEDERATED_VERSION ? t : { ...t, federated: { group, version } };
  });
  return { asEnabled, missing };
}

/** The phase of one `kubefed federate`: everything is read and checked before anything is written. */
export function federatePhase(target: FederateTarget): Phase {
  return async (scope) => {
    const { spec, writes, log } = scope;
    const federation = federationOf(scope);
    const found = await readTargets(federation, target, scope.warnings);
    const { asEnabled, missing } = await enabledTypes(
      federation,
      spec.namespace,
      found.map((f) => f.type),
    );
    const objects = found.flatMap((f, i) => f.objects.map((o) => federatedObject(o, asEnabled[i])));
    scope.federated.push(...objects);
    if (target.printOnly) return;
    if (missing.length && !target.enableType) {
      throw new InputError(
        missing.map(
          (t) =>
            `${typeConfigName(t)}: the type is not enabled in federation ${spec.federationName}; ` +
            `add --enable-type, or run kubefed enable ${typeConfigName(t)} first`,
        ),
      );
    }
    const existing = await Promise.all(objects.map((o) => federation.read(o)));
    const foreign = existing.filter((o): o is KubeObject => o !== undefined && !madeByFederate(o));
    if (foreign.length && !target.overwrite) {
      throw new InputError(
        foreign.map(
          (o) =>
            `${objectRef(o)} already exists and was not made by kubefed federate; ` +
            '--overwrite replaces its template and placement',
        ),
      );
    }
    if (missing.length) await enableResolvedTypes(scope, missing);
    const desired = objects.map((object) => ({ target: { kind: 'federation' as const }, object }));
    scope.steps.push(...(await converge(desired, () => federation, { writes, log })));
  };
}
