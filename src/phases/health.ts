// The health phases: the control plane and the members as the federation sees them, waited for
// after a writing run, the delivery of the federated objects to the members (waited for after a
// writing run and in check), and the check gate's own demand that every listed cluster be joined.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Spec } from '../inputs/spec.js';
import { federationHealth } from '../wait/health.js';
import { type Delivery, federatedDelivery, observeDelivery } from '../wait/propagation.js';
import { type ObjectDelivery, objectName } from '../wait/delivery.js';
import { InputError } from '../inputs/spec.js';
import { JOINED_STATES } from './member-outcome.js';
import { serverOf } from './member.js';
import { MEMBER_CONCURRENCY } from './membership.js';
import { type Phase, type Scope, federationOf, hostOf } from './scope.js';

/** Which members' health is checked. */
export type MembersChecked =
  /** None: a plan, or a run that leaves membership alone. */
  | 'none'
  /** The joined ones. */
  | 'joined'
  /** The joined ones, and those the action could not reach: KubeFed's verdict on them is the gate's. */
  | 'joined or unreachable';

export const checkHealth =
  (which: MembersChecked): Phase =>
  async (scope) => {
    const { spec, log, writes, federation } = scope;
    // The delivery gate waits on KubeFed's status of the federated objects, health on its
    // KubeFedClusters and the probes: neither needs the other, so they wait together (and
    // both end before the phase does, even when one fails).
    const gated = which !== 'none' && federation && scope.federationUp;
    // What the run read beside the bootstrap is the first look, while it has written nothing
    // in the federation since: a no-op's last round trip.
    const federationUnchanged = !scope.steps.some((s) => s.target.kind === 'federation');
    const hostUnchanged = !scope.steps.some((s) => s.target.kind === 'host');
    const [health, delivery] = await bothSettled(
      federationHealth({
        spec,
        host: hostOf(scope),
        federation: federation?.cluster,
        members: scope.federationUp ? membersChecked(scope, which) : [],
        log,
        wait: writes && spec.wait,
        concurrency: MEMBER_CONCURRENCY,
        probeAt: probeAddresses(spec, scope.kubeconfig),
        probed: scope.memberProbes,
        // As the run found them, while it has written nothing on the host since: a round trip less.
        controlPlaneRead: hostUnchanged ? scope.controlPlaneRead : undefined,
        federationReady: hostUnchanged && scope.federationReady,
        records: federationUnchanged ? scope.memberRecordsAhead : undefined,
      }),
      gated ? readDelivery(scope, {}, federationUnchanged ? scope.deliveryAhead : undefined) : undefined,
    );
    scope.memberHealth = health.members;
    scope.controlPlaneHealth = health.parts;
    const noAddress = 'the federation API server has no address yet (the Service was not created)';
    scope.problems.push(...(federation ? health.controlPlane : [noAddress]), ...health.memberProblems);
    if (delivery) recordDelivery(scope, delivery);
  };

/** Which federated objects a delivery gate judges beyond the spec's selection, and whether it waits. */
export interface DeliveryRequest {
  /** One federated type, by any of its names. */
  type?: string;
  /** One object of it. */
  name?: string;
  /** Only the objects this run federated (`kubefed federate --wait`). */
  federatedOnly?: boolean;
  /** Default: after a writing run, and in check, when the spec says wait. */
  wait?: boolean;
}

/**
 * The gate on what a deploy needs: every selected federated object delivered to every member it
 * is placed on, as KubeFed reports it. A type that names none the federation propagates is a
 * bad input; any other failure to read is a problem of the gate.
 */
export const deliveryGate =
  (request: DeliveryRequest = {}): Phase =>
  async (scope) =>
    recordDelivery(scope, await readDelivery(scope, request));

/** A delivery as read, or only the problem that it could not be. */
type DeliveryRead = Pick<Delivery, 'problems'> & Partial<Pick<Delivery, 'objects'>>;

function recordDelivery(scope: Scope, read: DeliveryRead): void {
  if (read.objects) scope.delivery = read.objects;
  scope.problems.push(...read.problems);
}

async function readDelivery(
  scope: Scope,
  request: DeliveryRequest = {},
  firstLook?: Promise<ObjectDelivery[]>,
): Promise<DeliveryRead> {
  const { spec, log } = scope;
  const made = new Set(scope.federated.map(objectName));
  try {
    return await federatedDelivery({
      federation: federationOf(scope),
      kubefedNamespace: spec.namespace,
      selection: { ...spec.propagation, type: request.type, name: request.name },
      likelyTypes: spec.federatedTypes,
      only: request.federatedOnly ? (o) => made.has(o) : undefined,
      log,
      wait: request.wait ?? (spec.wait && (scope.writes || spec.mode === 'check')),
      timeoutMs: spec.timeoutMs,
      firstLook,
    });
  } catch (err) {
    if (err instanceof InputError) throw err;
    return { problems: [`the federated objects' delivery could not be read: ${(err as Error).message}`] };
  }
}

/** The delivery of what checkHealth judges (the spec's selection), as it is now: its first look, taken ahead. */
export function observeDeliveryAhead(scope: Scope): Promise<ObjectDelivery[]> {
  const { spec } = scope;
  return observeDelivery(federationOf(scope), spec.namespace, spec.propagation, undefined, spec.federatedTypes);
}

/** Both results once both have settled; the first failure, if any, once both have. */
async function bothSettled<A, B>(a: Promise<A>, b: Promise<B> | B): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/** check: a listed cluster that is not joined fails the gate. */
export const gateMembership: Phase = async (scope) => {
  const notJoined = scope.members.filter((m) => m.state === 'not joined');
  scope.problems.push(...notJoined.map((m) => `cluster "${m.name}": not joined`));
};

function membersChecked(scope: Scope, which: MembersChecked): string[] {
  if (which === 'none') return [];
  const joined = scope.members.filter((m) => JOINED_STATES.has(m.state)).map((m) => m.name);
  const unreachable = scope.members.filter((m) => m.state === 'unreachable').map((m) => m.name);
  return which === 'joined' ? joined : [...joined, ...unreachable];
}

/** The kubeconfig's address of each listed member whose `endpoint` names another. */
function probeAddresses(spec: Spec, kubeconfig: KubeConfig): Map<string, string> {
  return new Map(
    spec.clusters.flatMap((c) => {
      const server = c.endpoint ? serverOf(kubeconfig, c.context) : undefined;
      return server && server !== c.endpoint ? [[c.name, server] as const] : [];
    }),
  );
}
