// Disabling federated types as `kubefedctl disable` does: the FederatedTypeConfig goes (KubeFed
// stops propagating the type, then lets its finalizer go), and the type's Federated<Kind> CRD
// goes only when asked and only while no object of it exists. The CRD's name is derived from the
// type, never read from the server's FederatedTypeConfig (an edited one could name another CRD),
// and its objects are counted again once KubeFed has stopped, so none created meanwhile is lost.
import { execute } from '../apply/converge.js';
import { FEDERATED_GROUP, type TargetType, federatedCrdName, isNamespaceType } from '../desired/federated-types.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import { FEDERATION_LABEL, type KubeObject, MANAGED_BY_LABEL, ownedBy } from '../desired/objects.js';
import type { Spec } from '../inputs/spec.js';
import { InputError } from '../inputs/spec.js';
import type { Cluster } from '../observe/cluster.js';
import type { Step } from '../plan/plan.js';
import type { Log } from '../report/log.js';
import { waitFor } from '../wait/poll.js';

/** One type to disable: its FederatedTypeConfig's name and its federated type's CRD name. */
export interface DisableTarget {
  typeConfig: string;
  crd: string;
}

/**
 * What becomes of the CRDs: `keep` (kubefedctl's default), `when-unused` (the action's
 * `federated-types`: removed unless objects of it exist, and only a CRD the action made), or
 * `delete` (kubefedctl's --delete-crd: refused while objects of it exist).
 */
export type CrdPolicy = 'keep' | 'when-unused' | 'delete';

export interface DisableContext {
  spec: Spec;
  federation: Cluster;
  writes: boolean;
  log: Log;
}

/** The target of a type: `<plural>[.<group>]` names its config; its CRD is federated<plural>.<federated group>. */
export function disableTargetOf(type: TargetType): DisableTarget {
  return { typeConfig: type.group ? `${type.plural}.${type.group}` : type.plural, crd: federatedCrdName(type) };
}

/** The target of a FederatedTypeConfig by its name alone (kubefedctl: a name with a dot is group-qualified). */
export function disableTargetNamed(typeConfig: string, federatedGroup = FEDERATED_GROUP): DisableTarget {
  return { typeConfig, crd: `federated${typeConfig.split('.')[0]}.${federatedGroup}` };
}

const ref = (name: string, namespace: string) => ({
  apiVersion: KUBEFED_API,
  kind: 'FederatedTypeConfig',
  metadata: { name, namespace },
});
const crdRef = (name: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
});
const inFederation = (object: KubeObject, reason: string): Step => ({
  action: 'delete',
  target: { kind: 'federation' },
  object,
  reason,
});

/** How many objects of the CRD's kind exist, anywhere (0 when the CRD does not). */
async function instancesOf(federation: Cluster, crd: KubeObject | undefined): Promise<number> {
  if (!crd) return 0;
  const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served?: boolean }[] };
  const version = spec.versions.find((v) => v.served !== false)?.name ?? spec.versions[0]?.name;
  return (await federation.list(`${spec.group}/${version}`, spec.names.kind, '')).length;
}

/** Refuses to disable namespaces while a namespaced type stays enabled (KubeFed would stop syncing it). */
function checkNamespaceDependency(configs: KubeObject[], disabled: Set<string>): void {
  const targetOf = (c: KubeObject) =>
    ((c.spec as { targetType?: { group?: string; kind?: string; scope?: string } }).targetType ?? {}) as {
      group?: string;
      kind?: string;
      scope?: string;
    };
  const namespaces = configs.find((c) =>
    isNamespaceType({ group: targetOf(c).group ?? '', kind: targetOf(c).kind ?? '' }),
  );
  if (!namespaces || !disabled.has(namespaces.metadata.name)) return;
  const staying = configs
    .filter((c) => !disabled.has(c.metadata.name) && c !== namespaces && targetOf(c).scope === 'Namespaced')
    .map((c) => c.metadata.name);
  if (staying.length) {
    throw new InputError([
      `type: namespaces cannot be disabled while ${staying.join(', ')} ${staying.length > 1 ? 'are' : 'is'} ` +
        'enabled: KubeFed runs no sync controller for a namespaced type without the namespaces type ' +
        '(FederatedNamespace); disable those first',
    ]);
  }
}

/** Disables `targets`; steps made and warnings to report. */
export async function disableTypes(
  ctx: DisableContext,
  targets: DisableTarget[],
  policy: CrdPolicy,
): Promise<{ steps: Step[]; warnings: string[] }> {
  const { spec, federation, writes, log } = ctx;
  const warnings: string[] = [];
  const configs = await federation.list(KUBEFED_API, 'FederatedTypeConfig', '', spec.namespace);
  const existing = new Set(configs.map((c) => c.metadata.name));
  checkNamespaceDependency(configs, new Set(targets.map((t) => t.typeConfig)));
  for (const t of targets.filter((t) => !existing.has(t.typeConfig)))
    warnings.push(`FederatedTypeConfig "${spec.namespace}/${t.typeConfig}" does not exist`);

  // The CRDs that may go, each checked before anything changes.
  const crds: KubeObject[] = [];
  if (policy !== 'keep') {
    const found = await Promise.all(targets.map((t) => federation.read(crdRef(t.crd))));
    for (const crd of found) {
      if (!crd) continue;
      const labels = crd.metadata.labels ?? {};
      const ours = ownedBy(spec.federationName);
      if (
        policy === 'when-unused' &&
        (labels[MANAGED_BY_LABEL] !== ours[MANAGED_BY_LABEL] || labels[FEDERATION_LABEL] !== spec.federationName)
      )
        continue;
      const count = await instancesOf(federation, crd);
      if (count === 0) crds.push(crd);
      else if (policy === 'delete')
        throw new InputError([
          `--delete-crd: cannot delete CRD "${crd.metadata.name}" while ${count} object(s) of it exist; ` +
            'delete them first, or disable without --delete-crd',
        ]);
      else warnings.push(`CRD ${crd.metadata.name} stays while ${count} object(s) of it exist`);
    }
  }

  const configSteps = targets
    .filter((t) => existing.has(t.typeConfig))
    .map((t) => inFederation(ref(t.typeConfig, spec.namespace), 'disabled'));
  const steps = await execute(configSteps, () => federation, { writes, log });
  // KubeFed holds each FederatedTypeConfig (its finalizer) until it has stopped syncing the type.
  if (writes) {
    const names = configSteps.map((s) => s.object.metadata.name).join(', ');
    await untilGone(ctx, configSteps, `KubeFed to stop propagating ${names}`, 'still held by KubeFed');
  }
  // Objects created while KubeFed was stopping keep their CRD.
  const crdSteps: Step[] = [];
  for (const crd of crds) {
    const count = writes ? await instancesOf(federation, crd) : 0;
    if (count === 0) crdSteps.push(inFederation(crdRef(crd.metadata.name), 'disabled'));
    else warnings.push(`CRD ${crd.metadata.name} kept: ${count} object(s) of it were created while KubeFed stopped`);
  }
  steps.push(...(await execute(crdSteps, () => federation, { writes, log })));
  // The API server holds a CRD (its finalizer) until it has removed the type's storage: only then
  // is the type gone, and can be enabled again.
  if (writes) await untilGone(ctx, crdSteps, 'the CRDs to be deleted', 'still being deleted');
  warnings.forEach((w) => log.warning(w));
  // Asked to delete the CRD and could not: the command failed at what it was asked.
  if (policy === 'delete' && crdSteps.length < crds.length)
    throw new Error(`--delete-crd: ${warnings[warnings.length - 1]}; delete them and disable again`);
  return { steps, warnings };
}

/** Waits until the objects the steps deleted are gone (a finalizer may hold them a while). */
async function untilGone(ctx: DisableContext, deleted: Step[], what: string, held: string): Promise<void> {
  if (deleted.length === 0) return;
  await waitFor(what, ctx.spec.timeoutMs, ctx.log, async () => {
    const left = await Promise.all(deleted.map((s) => ctx.federation.read(s.object)));
    const names = left.flatMap((o) => (o ? [o.metadata.name] : []));
    return names.length ? `${deleted[0].object.kind} ${names.join(', ')} ${held}` : null;
  });
}
