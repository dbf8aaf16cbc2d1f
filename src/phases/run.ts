// One run, shared by the action and the CLI: a list of phases over one scope, picked by the
// command and the mode (the way cluster-api's reconcilers read), and one result from the scope.
// Phases run in order because each needs the last: the API server's address goes into its
// certificate, the federation API is bootstrapped once it answers, and members are recorded in
// it once it is. What does not need the one before is started ahead and awaited where it is
// needed: the members' reads, the control plane's first reads, the members' sides of their joins.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Mode, Spec } from '../inputs/spec.js';
import { type RunResult, resultOf } from '../report/result.js';
import { checkContexts, checkMemberContext, connectHost, findFederation } from './connect.js';
import { convergeControlPlane, readControlPlaneAhead } from './control-plane.js';
import { findFederationToDestroy, removeControlPlane } from './destroy.js';
import { bootstrapFederationApi } from './federation-api.js';
import { type FederateTarget, federatePhase } from './federate.js';
import { type DeliveryRequest, checkHealth, deliveryGate, gateMembership } from './health.js';
import {
  convergeMembers,
  joinListedMembers,
  joinMembersAhead,
  readMembersAhead,
  settleMembersAhead,
  unjoinEveryMember,
  unjoinNamedMember,
} from './membership.js';
import { type Phase, type RunOptions, newScope } from './scope.js';
import { type TypeRequest, disableType, enableTypes } from './enable-types.js';
import type { CrdPolicy } from './disable-types.js';
import { type OrphaningRequest, orphaningPhase } from './orphaning.js';

export type { RunOptions } from './scope.js';

/** What a run does: the action's modes, and the CLI's commands beyond them. */
export type Command =
  | 'converge'
  | 'init'
  | 'join'
  | 'unjoin'
  | { enable: TypeRequest[] }
  | { disable: TypeRequest; crds: CrdPolicy }
  | { federate: FederateTarget }
  | { status: DeliveryRequest }
  | { orphaning: OrphaningRequest };

// The control plane's first reads go out beside the host's probe (readControlPlaneAhead).
const CONTROL_PLANE: Phase[] = [readControlPlaneAhead, connectHost, convergeControlPlane, bootstrapFederationApi];
// The members' reads go out once their contexts are checked, to overlap the control plane's,
// and their sides of the join once the host answers (their records wait for the federation API).
// The host's first reads go first: each member's starts with a TLS handshake, and a hundred of
// them held the host's answers back, which the federation API's reads wait on.
const WITH_MEMBERS: Phase[] = [
  checkContexts,
  readControlPlaneAhead,
  readMembersAhead,
  connectHost,
  joinMembersAhead,
  convergeControlPlane,
  bootstrapFederationApi,
  convergeMembers,
];
const ON_FEDERATION: Phase[] = [connectHost, findFederation];

/** The phases of one command in one mode. */
export function phasesOf(command: Command, mode: Mode): Phase[] {
  const plan = mode === 'plan';
  if (typeof command === 'object') {
    if ('enable' in command) return [...ON_FEDERATION, enableTypes(command.enable)];
    if ('disable' in command) return [...ON_FEDERATION, disableType(command.disable, command.crds)];
    if ('orphaning' in command) return [...ON_FEDERATION, orphaningPhase(command.orphaning)];
    if ('status' in command) return [...ON_FEDERATION, deliveryGate(command.status)];
    // --wait: until what it federated is delivered (a dry run federates nothing).
    const wait = command.federate.wait && !plan ? [deliveryGate({ federatedOnly: true, wait: true })] : [];
    return [...ON_FEDERATION, federatePhase(command.federate), ...wait];
  }
  switch (command) {
    case 'converge':
      if (mode === 'destroy')
        return [checkContexts, connectHost, findFederationToDestroy, unjoinEveryMember, removeControlPlane];
      if (mode === 'check') return [...WITH_MEMBERS, checkHealth('joined or unreachable'), gateMembership];
      return [...WITH_MEMBERS, checkHealth(plan ? 'none' : 'joined')];
    case 'init':
      return [checkContexts, ...CONTROL_PLANE, checkHealth('none')];
    case 'join':
      return [
        checkMemberContext('join'),
        readMembersAhead,
        ...ON_FEDERATION,
        joinListedMembers,
        checkHealth(plan ? 'none' : 'joined'),
      ];
    case 'unjoin':
      return [checkMemberContext('unjoin'), ...ON_FEDERATION, unjoinNamedMember, checkHealth('none')];
  }
}

/** Runs `command` (by default the action's: converge to the spec in its mode). */
export async function run(
  spec: Spec,
  kubeconfig: KubeConfig,
  opts: RunOptions,
  command: Command = 'converge',
): Promise<RunResult> {
  const writes = spec.mode === 'apply' || spec.mode === 'destroy';
  const scope = newScope(spec, kubeconfig, opts, writes);
  try {
    for (const phase of phasesOf(command, spec.mode)) await phase(scope);
  } finally {
    await settleMembersAhead(scope);
  }
  return resultOf(scope);
}
