// `mode: destroy`, the guide's cleanup done whole: unjoin every member, then delete the
// federation's namespace on the host (or, when other federations share it, only this
// federation's objects), and say which etcd volume outlives it.
import type { Cluster } from '../observe/cluster.js';
import { hostNames } from '../desired/control-plane.js';
import { execute } from '../apply/converge.js';
import { existingFederation } from '../observe/federation-api.js';
import { waitFor } from '../wait/poll.js';
import type { Spec } from '../inputs/spec.js';
import type { Log } from '../report/log.js';
import { FEDERATION_LABEL, FIELD_MANAGER, KubeObject, MANAGED_BY_LABEL, ownedBySelector } from '../desired/objects.js';
import type { Step } from '../plan/plan.js';
import { type Phase, hostOf } from './scope.js';

/** The kinds of host objects the control plane is made of, all namespaced and labelled. */
const HOST_KINDS: [string, string][] = [
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'Secret'],
  ['v1', 'PersistentVolumeClaim'],
  ['v1', 'ServiceAccount'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
];

/** destroy: the federation as the host has it, if it answers; its members are unjoined through it. */
export const findFederationToDestroy: Phase = async (scope) => {
  const federation = await existingFederation(hostOf(scope), scope.spec, scope.log);
  if (!federation) return;
  scope.federation = federation;
  scope.federationUp = await federation.cluster.ready();
  if (!scope.federationUp) {
    const warning =
      `the federation API at ${federation.cluster.server} does not answer: ` +
      'only the listed clusters can be unjoined';
    scope.warnings.push(warning);
    scope.log.warning(warning);
  }
};

/**
 * A member that failed to unjoin still has the federation's account, rights and token, and the
 * federation's record of it is what a re-run needs to remove them: the control plane is kept.
 */
export const removeControlPlane: Phase = async (scope) => {
  const { spec, log } = scope;
  const host = hostOf(scope);
  const failed = scope.members.filter((m) => m.error).length;
  if (failed) {
    log.warning(
      `the control plane is kept: ${failed} member(s) could not be unjoined; ` +
        'run destroy again once they can be reached',
    );
    scope.hostState = 'control plane kept (members left to unjoin)';
    return;
  }
  const endGroup = log.group('Removing the control plane from the host cluster');
  const volume = await etcdVolume(host, spec);
  const steps = await execute(await hostRemovals(host, spec), () => host, { writes: scope.writes, log });
  scope.steps.push(...steps);
  if (spec.wait && steps.some((s) => s.object.kind === 'Namespace')) await namespaceGone(host, spec, log);
  endGroup();
  scope.hostState = 'control plane removed';
  if (volume) {
    log.warning(volume);
    scope.warnings.push(volume);
  }
};

/**
 * The namespace, when the action made it and no other federation lives in it; otherwise each
 * object this federation's labels mark, dependents first.
 */
async function hostRemovals(host: Cluster, spec: Spec): Promise<Step[]> {
  const target = { kind: 'host' as const };
  const namespace = await host.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } });
  if (!namespace) return [];
  const others = await host.list(
    'apps/v1',
    'Deployment',
    `${MANAGED_BY_LABEL}=${FIELD_MANAGER},${FEDERATION_LABEL}!=${spec.federationName}`,
    spec.namespace,
  );
  if (namespace.metadata.labels?.[MANAGED_BY_LABEL] === FIELD_MANAGER && others.length === 0) {
    return [
      { action: 'delete', target, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } } },
    ];
  }
  const owned = await Promise.all(
    HOST_KINDS.map(([apiVersion, kind]) =>
      host.list(apiVersion, kind, ownedBySelector(spec.federationName), spec.namespace),
    ),
  );
  return owned.flat().map((object): Step => ({
    action: 'delete',
    target,
    object: {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { name: object.metadata.name, namespace: spec.namespace },
    },
  }));
}

/** Waits for the namespace to be gone, saying what still holds it up. */
async function namespaceGone(host: Cluster, spec: Spec, log: Log): Promise<void> {
  await waitFor(`namespace ${spec.namespace} to be deleted`, spec.timeoutMs, log, async () => {
    const ns = await host.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: spec.namespace } });
    if (!ns) return null;
    const conditions =
      (ns.status as { conditions?: { type: string; status: string; message?: string }[] })?.conditions ?? [];
    const blocking = conditions
      .filter((c) => c.status === 'True' && /Remaining|Failure/.test(c.type))
      .map((c) => c.message);
    return blocking.length ? blocking.join('; ') : 'terminating';
  });
}

/**
 * What the guide warns of: deleting the namespace deletes everything but the storage the etcd
 * claim was given. Names that volume and what becomes of it, or undefined when there is none.
 */
async function etcdVolume(host: Cluster, spec: Spec): Promise<string | undefined> {
  const claimName = hostNames(spec.federationName).etcdClaim;
  const claim = await host.read({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName, namespace: spec.namespace },
  });
  if (!claim) return undefined;
  const volumeName = (claim.spec as { volumeName?: string } | undefined)?.volumeName;
  if (!volumeName) return undefined;
  const volume: KubeObject | undefined = await host.read({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: volumeName },
  });
  const policy =
    (volume?.spec as { persistentVolumeReclaimPolicy?: string } | undefined)?.persistentVolumeReclaimPolicy ??
    'unknown';
  const what =
    `PersistentVolume ${volumeName} (the federation's etcd data, ` +
    `bound to claim ${spec.namespace}/${claimName}; reclaim policy ${policy})`;
  return policy === 'Delete'
    ? `${what} is deleted by its provisioner once the claim is gone: the federation's data goes with it`
    : `${what} is left behind and keeps the federation's data: delete it when that is no longer needed`;
}
