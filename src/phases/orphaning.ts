// `kubefed orphaning-deletion enable|disable|status <type> <name>`, as kubefedctl's: KubeFed
// leaves what a federated object propagated in the members when that object is deleted, while
// it carries the annotation kubefed.io/orphan: "true".
import { execute } from '../apply/converge.js';
import { type ApiResource, lookupApiResource, servedFederatedTypes } from '../desired/federated-type-names.js';
import { InputError } from '../inputs/spec.js';
import { servedResources } from '../observe/api-resources.js';
import type { Cluster } from '../observe/cluster.js';
import type { Step } from '../plan/plan.js';
import { type Phase, federationOf } from './scope.js';

/** kubefed v0.10.0 pkg/controller/util/orphaninganotation.go. */
export const ORPHAN_ANNOTATION = 'kubefed.io/orphan';
const ORPHAN_VALUE = 'true';

export interface OrphaningRequest {
  verb: 'enable' | 'disable' | 'status';
  /** A federated type, as the command line names it (FederatedDeployment, federateddeployments, fdeploy). */
  type: string;
  name: string;
  namespace: string;
}

/** The federated type `name` means: kubefedctl's default ones without a request, any other through discovery. */
async function federatedTypeNamed(federation: Cluster, name: string): Promise<ApiResource> {
  const known = lookupApiResource(servedFederatedTypes(), name);
  if (!('error' in known)) return known;
  const found = lookupApiResource(await servedResources(federation), name);
  if ('error' in found) throw new InputError([`type: ${found.error}`]);
  if (!found.kind.startsWith('Federated'))
    throw new InputError([`type: ${found.kind} is not a federated type; name its Federated${found.kind}`]);
  return found;
}

export function orphaningPhase(request: OrphaningRequest): Phase {
  return async (scope) => {
    const federation = federationOf(scope);
    const type = await federatedTypeNamed(federation, request.type);
    const namespace = type.namespaced ? request.namespace : undefined;
    const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
    const object = await federation.read({ apiVersion, kind: type.kind, metadata: { name: request.name, namespace } });
    if (!object) {
      const where = namespace ? ` in namespace "${namespace}"` : '';
      throw new InputError([`${type.kind} "${request.name}" does not exist${where} in ${federation.label}`]);
    }
    const enabled = object.metadata.annotations?.[ORPHAN_ANNOTATION] === ORPHAN_VALUE;
    const steps: Step[] = [];
    const ref = { ...object, apiVersion, kind: type.kind };
    if (request.verb === 'enable' && !enabled)
      steps.push({
        action: 'update',
        target: { kind: 'federation' },
        object: ref,
        reason: 'orphaning deletion enabled',
        annotationPatch: { [ORPHAN_ANNOTATION]: ORPHAN_VALUE },
      });
    if (request.verb === 'disable' && enabled)
      steps.push({
        action: 'update',
        target: { kind: 'federation' },
        object: ref,
        reason: 'orphaning deletion disabled',
        annotationPatch: { [ORPHAN_ANNOTATION]: null },
      });
    const { writes, log } = scope;
    scope.steps.push(...(await execute(steps, () => federation, { writes, log })));
    const now = writes && request.verb !== 'status' ? request.verb === 'enable' : enabled;
    scope.orphaning = now ? 'Enabled' : 'Disabled';
  };
}
