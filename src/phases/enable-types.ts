// `kubefed enable <type>` and `kubefed disable <type>`, kubefedctl's verbs, on the same core as
// the `federated-types` input: only the named types change. Any type the federation API serves
// can be enabled (found through its discovery, as kubefedctl does), CRDs included.
import { converge } from '../apply/converge.js';
import { type TargetType, isNamespaceType, typeConfig, typeConfigName } from '../desired/federated-types.js';
import { federatedTypeObjects } from '../desired/federation-objects.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import { withAppliedHash } from '../desired/objects.js';
import { InputError } from '../inputs/spec.js';
import { resolveType } from '../observe/api-resources.js';
import type { Cluster } from '../observe/cluster.js';
import { type CrdPolicy, disableTargetNamed, disableTargetOf, disableTypes } from './disable-types.js';
import { type Phase, type Scope, federationOf } from './scope.js';

/** A type as the command line names it, with kubefedctl's --federated-group and --federated-version. */
export interface TypeRequest {
  name: string;
  federated?: TargetType['federated'];
}

const typeConfigRef = (name: string, namespace: string) => ({
  apiVersion: KUBEFED_API,
  kind: 'FederatedTypeConfig',
  metadata: { name, namespace },
});

/**
 * What kubefedctl enable checks before it writes: a type already enabled under another federated
 * type is not switched; and (as KubeFed needs) a namespaced type needs the namespaces type.
 */
async function checkEnable(federation: Cluster, namespace: string, types: TargetType[]): Promise<void> {
  const problems: string[] = [];
  for (const type of types) {
    const existing = await federation.read(typeConfigRef(typeConfigName(type), namespace));
    const was = (existing?.spec as { federatedType?: { group?: string; version?: string; pluralName?: string } })
      ?.federatedType;
    const want = typeConfig(type, namespace).spec as {
      federatedType: { group: string; version: string; pluralName: string };
    };
    const same = (a: typeof was, b: typeof want.federatedType) =>
      a?.group === b.group && a?.version === b.version && a?.pluralName === b.pluralName;
    if (was && !same(was, want.federatedType)) {
      problems.push(
        `type: ${typeConfigName(type)} is already enabled with federated type ` +
          `${was.pluralName}.${was.group}/${was.version}; changing it to ` +
          `${want.federatedType.pluralName}.${want.federatedType.group}/${want.federatedType.version} is not supported`,
      );
    }
  }
  const namespaced = types.filter((t) => t.scope === 'Namespaced' && !isNamespaceType(t));
  if (namespaced.length && !types.some(isNamespaceType)) {
    const namespaces = await federation.read(typeConfigRef('namespaces', namespace));
    if (!namespaces)
      problems.push(
        `type: ${namespaced.map(typeConfigName).join(', ')} needs namespaces: KubeFed runs no sync controller ` +
          'for a namespaced type without the namespaces type (FederatedNamespace); run kubefed enable namespaces first',
      );
  }
  if (problems.length) throw new InputError(problems);
}

/** Enables `types` (already resolved): their Federated<Kind> CRDs and FederatedTypeConfigs. */
export async function enableResolvedTypes(scope: Scope, types: TargetType[]): Promise<void> {
  const { spec, writes, log } = scope;
  const federation = federationOf(scope);
  await checkEnable(federation, spec.namespace, types);
  const desired = federatedTypeObjects(spec, types).map((object) => ({
    target: { kind: 'federation' as const },
    object: withAppliedHash(object),
  }));
  scope.steps.push(...(await converge(desired, () => federation, { writes, log })));
}

/** `kubefed enable`: the named types, found as kubefedctl finds them, then enabled. */
export function enableTypes(requests: TypeRequest[]): Phase {
  return async (scope) => {
    const federation = federationOf(scope);
    const types: TargetType[] = [];
    for (const { name, federated } of requests) types.push(await resolveType(federation, name, federated));
    await enableResolvedTypes(scope, types);
  };
}

/**
 * `kubefed disable`: as kubefedctl, a name with a dot is the FederatedTypeConfig's own name (so a
 * type whose target is gone can be disabled); any other is found as enable finds it.
 */
export function disableType(request: TypeRequest, policy: CrdPolicy): Phase {
  return async (scope) => {
    const { spec, writes, log } = scope;
    const federation = federationOf(scope);
    const target = request.name.includes('.')
      ? disableTargetNamed(request.name.toLowerCase(), request.federated?.group)
      : disableTargetOf(await resolveType(federation, request.name, request.federated));
    const { steps, warnings } = await disableTypes({ spec, federation, writes, log }, [target], policy);
    scope.steps.push(...steps);
    scope.warnings.push(...warnings);
  };
}
