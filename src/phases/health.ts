// The health phases: the control plane and the members as the federation sees them, waited for
// after a writing run, and the check gate's own demand that every listed cluster be joined.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Spec } from '../inputs/spec.js';
import { federationHealth } from '../wait/health.js';
import { JOINED_STATES } from './member-outcome.js';
import { serverOf } from './member.js';
import { MEMBER_CONCURRENCY } from './membership.js';
import { type Phase, type Scope, hostOf } from './scope.js';

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
    const health = await federationHealth({
      spec,
      host: hostOf(scope),
      federation: federation?.cluster,
      members: scope.federationUp ? membersChecked(scope, which) : [],
      log,
      wait: writes && spec.wait,
      concurrency: MEMBER_CONCURRENCY,
      probeAt: probeAddresses(spec, scope.kubeconfig),
    });
    scope.memberHealth = health.members;
    scope.controlPlaneHealth = health.parts;
    const noAddress = 'the federation API server has no address yet (the Service was not created)';
    scope.problems.push(...(federation ? health.controlPlane : [noAddress]), ...health.memberProblems);
  };

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
