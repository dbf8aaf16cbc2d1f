// What a run found and did, in one shape for the action, the CLI and the report.
import type { MemberOutcome } from './join.js';
import { targetName } from './objects.js';
import type { Step } from './plan.js';

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

/**
 * What a run that stopped on an error can still report: the steps it had applied, and the
 * error. Nothing is healthy, since nothing was checked.
 */
export function failedResult(federationContext: string, applied: Step[], error: string): RunResult {
  return {
    steps: applied,
    changed: applied.length > 0,
    federationContext,
    healthy: false,
    problems: [],
    errors: [error],
    warnings: [],
    issued: [],
    joined: [],
    unjoined: [],
    clusterEndpoints: {},
    clusters: [],
  };
}

export function describeChanges(steps: Step[]): string {
  if (steps.length === 0) return '—';
  const counts = new Map<string, number>();
  for (const s of steps) counts.set(s.action, (counts.get(s.action) ?? 0) + 1);
  return [...counts].map(([action, count]) => `${count} ${action}`).join(', ');
}

/** The report row of the host or the federation API, with the changes made on it. */
export function clusterReport(role: 'host' | 'federation', endpoint: string | undefined, state: string, steps: Step[]): ClusterReport {
  return { name: role, role, endpoint, state, changes: describeChanges(steps.filter((s) => targetName(s.target) === role)) };
}

const MEMBER_NOW = new Set(['joined', 'out of date', 'joined, not listed']);

/** The membership part of a result, from each member's outcome. */
export function membershipResult(outcomes: MemberOutcome[]) {
  const joined = outcomes.filter((o) => MEMBER_NOW.has(o.state));
  return {
    steps: outcomes.flatMap((o) => o.steps),
    joined: joined.map((o) => o.name),
    unjoined: outcomes.filter((o) => o.state === 'unjoined').map((o) => o.name),
    clusterEndpoints: Object.fromEntries(joined.filter((o) => o.endpoint).map((o) => [o.name, o.endpoint as string])),
    clusters: outcomes.map((o): ClusterReport => ({ name: o.name, role: 'member', endpoint: o.endpoint, state: o.state, changes: describeChanges(o.steps), ...(o.tlsUnverified ? { tlsUnverified: true } : {}) })),
    errors: outcomes.flatMap((o) => (o.error ? [o.error.startsWith(`cluster "${o.name}"`) ? o.error : `cluster "${o.name}": ${o.error}`] : [])),
    warnings: outcomes.flatMap((o) => o.warnings),
  };
}
