// What a run found and did, in one shape for the action, the CLI and the report.
import { JOINED_STATES, type MemberOutcome } from '../phases/member-outcome.js';
import type { Scope } from '../phases/scope.js';
import type { KubeObject } from '../desired/objects.js';
import type { Step } from '../plan/plan.js';
import type { ObjectDelivery } from '../wait/delivery.js';

export interface RunResult {
  /** Every change, applied (apply, destroy) or that would be applied (plan, check). */
  steps: Step[];
  changed: boolean;
  federationEndpoint?: string;
  federationContext: string;
  /** A kubeconfig (YAML) for the federation API with the admin certificate. */
  federationKubeconfig?: string;
  healthy: boolean;
  /** What is not healthy (the step fails on these in apply and check modes). */
  problems: string[];
  /** What went wrong (a member unreachable, a write refused): the step fails in every mode. */
  errors: string[];
  /** Worth a look but not a failure (a CoreDNS member, objects left behind). */
  warnings: string[];
  /** What was issued: certificates, keys, tokens. */
  issued: string[];
  joined: string[];
  unjoined: string[];
  /** Member name → API server URL. */
  clusterEndpoints: Record<string, string>;
  clusters: ClusterReport[];
  /** Each part of the control plane on the host, when its health was checked. */
  controlPlane: PartReport[];
  /** Each selected federated object's delivery, when the gate judged them. */
  delivery?: ObjectDelivery[];
  /** destroy: the etcd PersistentVolume kept when the control plane went. */
  retainedVolume?: string;
  /** `kubefed federate`: the Federated<Kind> objects made (or, without writes, that would be). */
  federated?: KubeObject[];
  /** kubefed orphaning-deletion: Enabled or Disabled. */
  orphaning?: 'Enabled' | 'Disabled';
}

export interface ClusterReport {
  name: string;
  role: 'host' | 'federation' | 'member';
  endpoint?: string;
  state: string;
  /** What changed for it, counted by action ("2 create, 1 update"), or "—". */
  changes: string;
  /** Its kubeconfig context skips TLS verification. */
  tlsUnverified?: boolean;
}

export interface PartReport {
  /** "API server", "controller manager", "webhook", "DNS". */
  part: string;
  deployments: string[];
  state: 'available' | 'not available';
}

/** A result that found and did nothing: the start of one that did. */
export function emptyResult(federationContext: string): RunResult {
  return {
    steps: [],
    changed: false,
    federationContext,
    healthy: false,
    problems: [],
    errors: [],
    warnings: [],
    issued: [],
    joined: [],
    unjoined: [],
    clusterEndpoints: {},
    clusters: [],
    controlPlane: [],
  };
}

/**
 * What a run that stopped on an error can still report: the steps it had applied, and the
 * error. Nothing is healthy, since nothing was checked.
 */
export function failedResult(federationContext: string, applied: Step[], error: string): RunResult {
  return { ...emptyResult(federationContext), steps: applied, changed: applied.length > 0, errors: [error] };
}

function describeChanges(steps: Step[]): string {
  if (steps.length === 0) return '—';
  const counts = new Map<string, number>();
  for (const s of steps) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  return [...counts].map(([action, count]) => `${count} ${action}`).join(', ');
}

/** The report row of the host or the federation API, with the changes made on it. */
function clusterReport(
  role: 'host' | 'federation',
  endpoint: string | undefined,
  state: string,
  steps: Step[],
): ClusterReport {
  const changes = describeChanges(steps.filter((s) => s.target.kind === role));
  return { name: role, role, endpoint, state, changes };
}

function memberReport(o: MemberOutcome, health: Map<string, string | null>): ClusterReport {
  const state = health.has(o.name) ? `${o.state}, ${health.get(o.name) ? 'not ready' : 'ready'}` : o.state;
  return {
    name: o.name,
    role: 'member',
    endpoint: o.endpoint,
    state,
    changes: describeChanges(o.steps),
    ...(o.tlsUnverified ? { tlsUnverified: true } : {}),
  };
}

/** A member's error, naming the member once. */
const memberError = (o: MemberOutcome) =>
  o.error?.startsWith(`cluster "${o.name}"`) ? o.error : `cluster "${o.name}": ${o.error}`;

/** The one result of a run, from its scope alone. */
export function resultOf(scope: Scope): RunResult {
  const { spec, host, federation, members, steps } = scope;
  const joined = members.filter((o) => JOINED_STATES.has(o.state));
  const errors = [...members.filter((o) => o.error).map(memberError), ...scope.errors];
  const federationEndpoint = scope.reportsFederation ? federation?.cluster.server : undefined;
  return {
    steps,
    changed: scope.writes && steps.length > 0,
    federationEndpoint,
    federationContext: spec.federationName,
    federationKubeconfig: scope.federationKubeconfig,
    healthy: scope.problems.length === 0 && errors.length === 0,
    problems: scope.problems,
    errors,
    warnings: scope.warnings,
    issued: scope.issued,
    joined: joined.map((o) => o.name),
    unjoined: members.filter((o) => o.state === 'unjoined').map((o) => o.name),
    clusterEndpoints: Object.fromEntries(joined.flatMap((o) => (o.endpoint ? [[o.name, o.endpoint]] : []))),
    ...(scope.federated.length ? { federated: scope.federated } : {}),
    controlPlane: scope.controlPlaneHealth.map((p) => ({
      part: p.name,
      deployments: p.deployments,
      state: p.problems.length ? 'not available' : 'available',
    })),
    ...(scope.delivery ? { delivery: scope.delivery } : {}),
    ...(scope.orphaning ? { orphaning: scope.orphaning } : {}),
    ...(scope.retainedVolume ? { retainedVolume: scope.retainedVolume } : {}),
    clusters: [
      ...(host && scope.hostState
        ? [
            {
              ...clusterReport('host', host.server, scope.hostState, steps),
              ...(scope.hostTlsUnverified ? { tlsUnverified: true } : {}),
            },
          ]
        : []),
      ...(federationEndpoint
        ? [clusterReport('federation', federationEndpoint, scope.federationUp ? 'ready' : 'not ready', steps)]
        : []),
      ...members.map((o) => memberReport(o, scope.memberHealth)),
    ],
  };
}
