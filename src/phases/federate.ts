// `kubefed federate <type> <name>`, as kubefedctl federate: an object in the federation API
// becomes its Federated<Kind>, placed on every member, once its type is enabled.
import { converge } from '../apply/converge.js';
import { federatedObject } from '../desired/federated-object.js';
import { type TargetType, typeConfigName } from '../desired/federated-types.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import type { KubeObject } from '../desired/objects.js';
import { InputError } from '../inputs/spec.js';
import { type Phase, federationOf } from './scope.js';
import { enableTypes } from './enable-types.js';

export interface FederateTarget {
  type: TargetType;
  name: string;
  /** Where a namespaced object is read from. */
  namespace: string;
}

/** Without --enable-type, federating a type KubeFed does not propagate would do nothing. */
const requireTypesEnabled: Phase = async (scope) => {
  const { spec } = scope;
  const federation = federationOf(scope);
  for (const type of spec.federatedTypes) {
    const name = typeConfigName(type);
    const config = await federation.read({
      apiVersion: KUBEFED_API,
      kind: 'FederatedTypeConfig',
      metadata: { name, namespace: spec.namespace },
    });
    if (!config) {
      throw new InputError([
        `${name}: the type is not enabled in federation ${spec.federationName}; ` +
          `add --enable-type, or run kubefed enable ${name} first`,
      ]);
    }
  }
};

/**
 * The phases of one `kubefed federate`: the object is read first, so a missing one changes
 * nothing (not even the type), then its type is enabled or required, then its federated object
 * is converged.
 */
export function federatePhases(target: FederateTarget, enableType: boolean): Phase[] {
  let resource: KubeObject | undefined;
  const read: Phase = async (scope) => {
    const { type, name } = target;
    const federation = federationOf(scope);
    const namespace = type.scope === 'Namespaced' ? target.namespace : undefined;
    const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
    resource = await federation.read({ apiVersion, kind: type.kind, metadata: { name, namespace } });
    if (!resource) {
      const where = namespace ? ` in namespace "${namespace}"` : '';
      throw new InputError([`${type.kind} "${name}" does not exist${where} in ${federation.label}`]);
    }
  };
  const federate: Phase = async (scope) => {
    const federation = federationOf(scope);
    const object = federatedObject(resource as KubeObject, target.type);
    scope.federated.push(object);
    const { writes, log } = scope;
    const desired = [{ target: { kind: 'federation' as const }, object }];
    scope.steps.push(...(await converge(desired, () => federation, { writes, log })));
  };
  return [read, enableType ? enableTypes : requireTypesEnabled, federate];
}
