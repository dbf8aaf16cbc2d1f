// Bootstrapping the federation API once it answers: KubeFed's objects (converge), the types
// no longer listed (disabled as `kubefedctl disable` does), and KubeFed's admission webhooks,
// registered only once the webhook serves (the federation API refuses KubeFed's objects while
// a registered webhook is unreachable).
import type { Cluster } from '../observe/cluster.js';
import { hostNames } from '../desired/control-plane.js';
import { converge, execute } from '../apply/converge.js';
import { FEDERATED_GROUP, FEDERATED_VERSION, typeConfigName } from '../desired/federated-types.js';
import { federationObjects, webhookConfigurations } from '../desired/federation-objects.js';
import { controlPlaneProblems } from '../wait/control-plane.js';
import { waitFor } from '../wait/poll.js';
import type { Spec } from '../inputs/spec.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import type { Log } from '../report/log.js';
import { KubeObject, ownedBySelector } from '../desired/objects.js';
import type { Desired, Step } from '../plan/plan.js';
import { type Phase, hostOf } from './scope.js';

export interface BootstrapContext {
  spec: Spec;
  host: Cluster;
  federation: Cluster;
  /** The federation answers (always assumed when writing: the action waited for it). */
  federationUp: boolean;
  writes: boolean;
  caPem: string;
  log: Log;
}

const inFederation = (object: KubeObject): Desired => ({ target: { kind: 'federation' }, object });

/** Once the control plane is up: the federation API answers, then KubeFed's objects in it. */
export const bootstrapFederationApi: Phase = async (scope) => {
  const { spec, log, writes, federation } = scope;
  if (!federation) return;
  const host = hostOf(scope);
  const endGroup = log.group('Federation API');
  if (writes) {
    await waitFor(`the federation API at ${federation.cluster.server}`, spec.timeoutMs, log, async (detailed) => {
      const apiServer = [hostNames(spec.federationName).apiServer];
      const problems = await controlPlaneProblems(host, federation.cluster, spec, apiServer, detailed);
      return problems.length ? problems.join('; ') : null;
    });
  }
  const ctx = {
    spec,
    host,
    federation: federation.cluster,
    federationUp: scope.federationUp,
    writes,
    caPem: scope.caPem ?? '',
    log,
  };
  const { steps, warnings } = await bootstrapFederation(ctx);
  scope.steps.push(...steps);
  scope.warnings.push(...warnings);
  endGroup();
};

async function bootstrapFederation(ctx: BootstrapContext): Promise<{ steps: Step[]; warnings: string[] }> {
  const { spec, federation, writes, log } = ctx;
  const opts = { writes, log };
  const steps = await converge(federationObjects(spec).map(inFederation), () => federation, opts, ctx.federationUp);
  const disabled = ctx.federationUp ? await disableUnlisted(ctx) : { steps: [], warnings: [] };
  steps.push(...disabled.steps);
  if (writes) {
    const webhook = hostNames(spec.federationName).webhook;
    await waitFor(
      `KubeFed's admission webhook (deployment ${spec.namespace}/${webhook})`,
      spec.timeoutMs,
      log,
      async (detailed) => {
        const problems = await controlPlaneProblems(ctx.host, federation, spec, [webhook], detailed);
        return problems.length ? problems.join('; ') : null;
      },
    );
  }
  const webhooks = webhookConfigurations(spec, hostNames(spec.federationName).webhook, ctx.caPem).map(inFederation);
  steps.push(...(await converge(webhooks, () => federation, opts, ctx.federationUp)));
  return { steps, warnings: disabled.warnings };
}

/** The types the action enabled that `federated-types` no longer lists are disabled. */
async function disableUnlisted(ctx: BootstrapContext): Promise<{ steps: Step[]; warnings: string[] }> {
  const listed = new Set(ctx.spec.federatedTypes.map(typeConfigName));
  return disableTypes(ctx, (name) => !listed.has(name));
}

/**
 * Disables the action's enabled types that `which` picks, as `kubefedctl disable` does: the
 * FederatedTypeConfig goes (KubeFed stops propagating the type), and so does the type's CRD
 * unless federated objects of it still exist (deleting it would delete them).
 */
export async function disableTypes(
  ctx: Pick<BootstrapContext, 'spec' | 'federation' | 'writes' | 'log'>,
  which: (typeConfigName: string) => boolean,
): Promise<{ steps: Step[]; warnings: string[] }> {
  const { spec, federation, writes, log } = ctx;
  const configs = (
    await federation.list(KUBEFED_API, 'FederatedTypeConfig', ownedBySelector(spec.federationName), spec.namespace)
  ).filter((c) => which(c.metadata.name));
  const configSteps: Step[] = [];
  const crdSteps: Step[] = [];
  const warnings: string[] = [];
  for (const ftc of configs) {
    const ref = {
      apiVersion: KUBEFED_API,
      kind: 'FederatedTypeConfig',
      metadata: { name: ftc.metadata.name, namespace: spec.namespace },
    };
    configSteps.push({ action: 'delete', target: { kind: 'federation' }, object: ref, reason: 'disabled' });
    const federated =
      (ftc.spec as { federatedType?: { kind?: string; pluralName?: string; version?: string } }).federatedType ?? {};
    const instances = await federation.list(
      `${FEDERATED_GROUP}/${federated.version ?? FEDERATED_VERSION}`,
      federated.kind ?? '',
      '',
    );
    if (instances.length) {
      warnings.push(
        `type ${ftc.metadata.name} is disabled; ` +
          `its CRD stays while ${instances.length} ${federated.kind} object(s) exist`,
      );
      continue;
    }
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${federated.pluralName}.${FEDERATED_GROUP}` },
    };
    crdSteps.push({ action: 'delete', target: { kind: 'federation' }, object: crd, reason: 'disabled' });
  }
  warnings.forEach((w) => log.warning(w));
  const steps = await execute(configSteps, () => federation, { writes, log });
  // KubeFed holds each FederatedTypeConfig (its finalizer) until it has stopped syncing the
  // type; its CRD goes only then.
  if (writes && configSteps.length) {
    await waitFor(
      `KubeFed to stop propagating ${configs.map((c) => c.metadata.name).join(', ')}`,
      spec.timeoutMs,
      log,
      async () => {
        const left = await Promise.all(configSteps.map((s) => federation.read(s.object)));
        const names = left.filter((o) => o !== undefined).map((o) => o?.metadata.name);
        return names.length ? `FederatedTypeConfig ${names.join(', ')} still held by KubeFed` : null;
      },
    );
  }
  steps.push(...(await execute(crdSteps, () => federation, { writes, log })));
  return { steps, warnings };
}
