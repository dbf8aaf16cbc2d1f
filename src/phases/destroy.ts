// `mode: destroy`, the guide's cleanup done whole: unjoin every member, withdraw the DNS
// records, then delete the federation's namespace on the host (or, when other federations share
// it, only this federation's objects), keeping the etcd volume. The control plane is the only
// record of the members: it stays while any could be left holding the federation's token
// (unknown, or not unjoined), unless the user says `force`.
import type { Cluster } from '../observe/cluster.js';
import { hostNames } from '../desired/control-plane.js';
import { execute } from '../apply/converge.js';
import { existingFederation, readCredentialFiles } from '../observe/federation-api.js';
import { FILES } from '../desired/credentials.js';
import { waitFor } from '../wait/poll.js';
import type { Spec } from '../inputs/spec.js';
import type { Log } from '../report/log.js';
import { FEDERATION_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL, ownedBySelector } from '../desired/objects.js';
import type { Step } from '../plan/plan.js';
import { withdrawDnsRecords } from './dns-withdrawal.js';
import { keepEtcdVolume } from './etcd-volume.js';
import { type Phase, type Scope, hostOf } from './scope.js';

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

/**
 * destroy: the federation as the host has it, if it answers; its members are unjoined through
 * it. A control plane whose API does not answer hides its member records: that is said.
 */
export const findFederationToDestroy: Phase = async (scope) => {
  const { spec } = scope;
  const host = hostOf(scope);
  const federation = await existingFederation(host, spec, scope.log);
  if (federation) {
    scope.federation = federation;
    scope.federationUp = await federation.cluster.ready();
    if (scope.federationUp) return;
  } else if (!(await readCredentialFiles(host, spec))[FILES.adminCert]) {
    return; // no federation API was ever made (its certificate names its address): no member either
  }
  scope.membersUnknown = federation
    ? `the federation API at ${federation.cluster.server} does not answer`
    : `the federation API (Service ${spec.namespace}/${hostNames(spec.federationName).apiServer}) has no address`;
  const warning = `${scope.membersUnknown}: only the listed clusters can be unjoined`;
  scope.warnings.push(warning);
  scope.log.warning(warning);
};

/**
 * Why the control plane must stay: it holds the only record of members that still have the
 * federation's account, rights and token, which a re-run needs to remove them.
 */
function reasonsToKeep(scope: Scope): string[] {
  const failed = scope.members.filter((m) => m.error).map((m) => m.name);
  const listed = scope.spec.clusters.map((c) => c.name);
  return [
    ...(scope.membersUnknown
      ? [
          `${scope.membersUnknown}, so its members are unknown: every member ` +
            `${listed.length ? `but the listed ${listed.join(', ')}` : '(none is listed)'} would keep the ` +
            "federation's service account, cluster-wide rights and token",
        ]
      : []),
    ...(failed.length ? [`${failed.length} member(s) could not be unjoined (${failed.join(', ')})`] : []),
  ];
}

/**
 * Removes the control plane, once nothing needs it: every member unjoined and every member
 * known (or the user said `force`). The published DNS records are withdrawn first, while
 * external-dns still runs, and the etcd volume is kept.
 */
export const removeControlPlane: Phase = async (scope) => {
  const { spec, log } = scope;
  const host = hostOf(scope);
  const reasons = reasonsToKeep(scope);
  if (!reasons.length || spec.force) {
    const unwithdrawn = await withdrawDnsRecords(scope);
    if (unwithdrawn) reasons.push(unwithdrawn);
  }
  if (reasons.length && !spec.force) {
    scope.errors.push(
      `the control plane is kept: ${reasons.join('; ')}. Run destroy again once that is resolved, ` +
        'or with force: true (kubefed destroy --force) to remove it all the same',
    );
    scope.hostState = 'control plane kept';
    return;
  }
  if (reasons.length) {
    const warning = `force: the control plane is removed although ${reasons.join('; ')}`;
    scope.warnings.push(warning);
    log.warning(warning);
  }
  const endGroup = log.group('Removing the control plane from the host cluster');
  const opts = { writes: scope.writes, log };
  const volume = await keepEtcdVolume(host, spec, opts);
  if (volume) scope.steps.push(...volume.steps);
  const steps = await execute(await hostRemovals(host, spec), () => host, opts);
  scope.steps.push(...steps);
  if (spec.wait && steps.some((s) => s.object.kind === 'Namespace')) await namespaceGone(host, spec, log);
  endGroup();
  scope.hostState = 'control plane removed';
  if (volume) {
    scope.retainedVolume = volume.name;
    log.warning(volume.message);
    scope.warnings.push(volume.message);
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
