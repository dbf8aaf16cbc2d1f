// Bootstrapping the federation API once it answers: KubeFed's objects (converge), the types
// no longer listed (disabled as `kubefedctl disable` does), and KubeFed's admission webhooks,
// registered only once the webhook serves (the federation API refuses KubeFed's objects while
// a registered webhook is unreachable).
import type { Cluster } from '../observe/cluster.js';
import { readControlPlane } from '../observe/pods.js';
import { MEMBER_RECORD_KINDS, SnapshotCluster } from '../observe/snapshot.js';
import { hostNames } from '../desired/control-plane.js';
import { converge, execute } from '../apply/converge.js';
import { type TargetType, namespaceDependencyProblem, typeConfigName } from '../desired/federated-types.js';
import { federatedTypeObjects, federationObjects, webhookConfigurations } from '../desired/federation-objects.js';
import { resolveType } from '../observe/api-resources.js';
import { InputError } from '../inputs/spec.js';
import { disableTargetNamed, disableTypes } from './disable-types.js';
import { controlPlaneHealth, controlPlaneProblems } from '../wait/control-plane.js';
import { waitFor } from '../wait/poll.js';
import type { Spec } from '../inputs/spec.js';
import { KUBEFED_API } from '../desired/kubefed-crds.js';
import type { Log } from '../report/log.js';
import { KubeObject, ownedBySelector, withAppliedHash } from '../desired/objects.js';
import { backedOffRestarts } from '../plan/restarts.js';
import type { Desired, Step } from '../plan/plan.js';
import { type Phase, hostOf } from './scope.js';
import { observeDeliveryAhead } from './health.js';

export interface BootstrapContext {
  spec: Spec;
  host: Cluster;
  federation: Cluster;
  /** The federation answers (always assumed when writing: the action waited for it). */
  federationUp: boolean;
  writes: boolean;
  caPem: string;
  log: Log;
  /** KubeFed's admission webhook was found serving when the federation API was waited for. */
  webhookServes: boolean;
  /** The host's Deployments this run created or changed: their Pods are new anyway. */
  rolledOnHost: Set<string>;
}

const inFederation = (object: KubeObject): Desired => ({ target: { kind: 'federation' }, object });

/** Once the control plane is up: the federation API answers, then KubeFed's objects in it. */
export const bootstrapFederationApi: Phase = async (scope) => {
  const { spec, log, writes, federation } = scope;
  if (!federation) return;
  const host = hostOf(scope);
  const endGroup = log.group('Federation API');
  // The webhook's Deployment is read with the API server's: when it already serves (a re-run),
  // it is not waited for again below.
  let webhookServes = false;
  if (writes) {
    const { apiServer, webhook } = hostNames(spec.federationName);
    // The first look is at the control plane as the run found it, when it changed nothing there.
    let read = scope.controlPlaneRead;
    await waitFor(`the federation API at ${federation.cluster.server}`, spec.timeoutMs, log, async (detailed) => {
      const health = await controlPlaneHealth(host, federation.cluster, spec, {
        deployments: [apiServer, webhook],
        detailed,
        read,
      });
      // What it showed is no longer the state once it had to be waited on (health's first look uses it).
      if (read && health.problems.length) scope.controlPlaneRead = undefined;
      scope.federationReady = health.ready;
      read = undefined;
      const webhookProblems = health.parts.filter((p) => p.deployments.includes(webhook)).flatMap((p) => p.problems);
      webhookServes = webhookProblems.length === 0;
      const problems = health.problems.filter((p) => !webhookProblems.includes(p));
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
    webhookServes,
    rolledOnHost: new Set(
      scope.steps
        .filter((s) => s.target.kind === 'host' && s.object.kind === 'Deployment' && s.action !== 'delete')
        .map((s) => s.object.metadata.name),
    ),
  };
  // The members' records are read beside KubeFed's objects when members follow, a round trip
  // sooner: the bootstrap writes neither KubeFedClusters nor Secrets.
  if (scope.federationUp && scope.memberReads) {
    scope.memberRecordsAhead = SnapshotCluster.of(federation.cluster, spec.namespace, MEMBER_RECORD_KINDS);
    scope.memberRecordsAhead.catch(() => undefined);
    // And the delivery health judges after them: its first look, when the run writes nothing here.
    if (spec.mode !== 'plan') {
      scope.deliveryAhead = observeDeliveryAhead(scope);
      scope.deliveryAhead.catch(() => undefined);
    }
  }
  const { steps, warnings } = await bootstrapFederation(ctx);
  scope.steps.push(...steps);
  scope.warnings.push(...warnings);
  endGroup();
};

async function bootstrapFederation(ctx: BootstrapContext): Promise<{ steps: Step[]; warnings: string[] }> {
  const { spec, federation, writes, log } = ctx;
  const opts = { writes, log };
  const discovered = await discoveredTypes(ctx);
  const objects = [...federationObjects(spec), ...federatedTypeObjects(spec, discovered.types).map(withAppliedHash)];
  const types = [...spec.federatedTypes, ...discovered.types];
  // The types to disable are read beside the converge, a round trip sooner: it writes only
  // listed ones, which are never disabled. (Handled here too: the converge may fail first.)
  const owned = ctx.federationUp ? ownedTypeConfigs(ctx) : undefined;
  owned?.catch(() => undefined);
  // KubeFed's webhooks are registered beside its objects when the webhook already serves (or
  // nothing is written), a round trip sooner on a re-run; one not serving yet is waited for
  // after them, and registered then.
  const webhooks = webhookConfigurations(spec, hostNames(spec.federationName).webhook, ctx.caPem).map(inFederation);
  const registerWebhooks = () => converge(webhooks, () => federation, opts, ctx.federationUp);
  const registering = !writes || ctx.webhookServes ? registerWebhooks() : undefined;
  registering?.catch(() => undefined);
  const steps = await converge(objects.map(inFederation), () => federation, opts, ctx.federationUp);
  // CRDs created under a control plane that stood unchanged: the federation API lost its data,
  // and KubeFed's Pods crashed without them (plan/restarts.ts).
  if (writes && steps.some((s) => s.action === 'create' && s.object.kind === 'CustomResourceDefinition')) {
    const { deployments, pods } = await readControlPlane(ctx.host, spec.namespace, spec.federationName);
    const restarts = backedOffRestarts(spec, deployments, pods, ctx.rolledOnHost);
    steps.push(...(await execute(restarts, () => ctx.host, opts)));
  }
  const disabled = owned ? await disableUnlisted(ctx, types, await owned) : { steps: [], warnings: [] };
  steps.push(...disabled.steps);
  if (writes && !ctx.webhookServes) {
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
  steps.push(...(await (registering ?? registerWebhooks())));
  return { steps, warnings: [...discovered.warnings, ...disabled.warnings] };
}

/** The FederatedTypeConfigs this action made for this federation. */
function ownedTypeConfigs({ spec, federation }: BootstrapContext): Promise<KubeObject[]> {
  return federation.list(KUBEFED_API, 'FederatedTypeConfig', ownedBySelector(spec.federationName), spec.namespace);
}

/**
 * The types the action enabled (`owned`) that `federated-types` no longer lists are disabled,
 * their CRDs removed once unused. Each CRD's name is derived from the FederatedTypeConfig's name.
 */
async function disableUnlisted(
  ctx: BootstrapContext,
  types: TargetType[],
  owned: KubeObject[],
): Promise<{ steps: Step[]; warnings: string[] }> {
  const listed = new Set(types.map(typeConfigName));
  const targets = owned.filter((c) => !listed.has(c.metadata.name)).map((c) => disableTargetNamed(c.metadata.name));
  if (targets.length === 0) return { steps: [], warnings: [] };
  return disableTypes(ctx, targets, 'when-unused');
}

/**
 * `federated-types` beyond kubefedctl's default ten, found in the federation API's discovery
 * (a CRD's type, say), checked together with the others: a namespaced one needs namespaces.
 */
async function discoveredTypes(ctx: BootstrapContext): Promise<{ types: TargetType[]; warnings: string[] }> {
  const { spec, federation } = ctx;
  if (spec.discoveredTypeNames.length === 0) return { types: [], warnings: [] };
  if (!ctx.federationUp) {
    const names = spec.discoveredTypeNames.join(', ');
    return { types: [], warnings: [`federated-types: ${names} will be looked up once the federation API answers`] };
  }
  const types: TargetType[] = [];
  for (const name of spec.discoveredTypeNames) {
    try {
      types.push(await resolveType(federation, name));
    } catch (err) {
      if (err instanceof InputError)
        throw new InputError(err.problems.map((p) => p.replace(/^type:/, 'federated-types:')));
      throw err;
    }
  }
  const problem = namespaceDependencyProblem([...spec.federatedTypes, ...types]);
  if (problem) throw new InputError([`federated-types: ${problem}; add namespaces`]);
  return { types, warnings: [] };
}
