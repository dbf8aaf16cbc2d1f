// The step's outputs, as pure functions of a run's result: the runner's strings, and the CLI's
// `--output json`, which holds the same values typed, with the report's lists beside them.
import type { Spec } from '../inputs/spec.js';
import type { Verdict } from './verdict.js';
import { targetName } from '../desired/objects.js';
import type { Step } from '../plan/plan.js';
import type { RunResult } from './result.js';
import { propagationOutput } from './propagation.js';

export interface PlannedChange {
  action: Step['action'];
  cluster: string;
  kind: string;
  namespace?: string;
  name: string;
  reason?: string;
}

export function plannedChanges(steps: Step[]): PlannedChange[] {
  return steps.map((s) => ({
    action: s.action,
    cluster: targetName(s.target),
    kind: s.object.kind,
    ...(s.object.metadata.namespace ? { namespace: s.object.metadata.namespace } : {}),
    name: s.object.metadata.name,
    ...(s.reason ? { reason: s.reason } : {}),
  }));
}

/** The action's outputs (all strings, as the runner takes them). */
export function outputs(result: RunResult, kubeconfigPath: string | undefined): Record<string, string> {
  return {
    'joined-clusters': JSON.stringify(result.joined),
    'unjoined-clusters': JSON.stringify(result.unjoined),
    'federation-endpoint': result.federationEndpoint ?? '',
    'cluster-endpoints': JSON.stringify(result.clusterEndpoints),
    'federation-context': result.federationContext,
    kubeconfig: kubeconfigPath ?? '',
    healthy: String(result.healthy),
    changed: String(result.changed),
    plan: JSON.stringify(plannedChanges(result.steps)),
    'retained-volume': result.retainedVolume ?? '',
    propagation: JSON.stringify(propagationOutput(result.delivery ?? [])),
  };
}

/** The whole report as one JSON value (`--output json`): the outputs typed, then the details. */
export function jsonReport(spec: Spec, result: RunResult, kubeconfigPath: string | undefined, verdict: Verdict) {
  return {
    federation: spec.federationName,
    mode: spec.mode,
    healthy: result.healthy,
    changed: result.changed,
    failed: verdict.failed,
    message: verdict.message,
    'joined-clusters': result.joined,
    'unjoined-clusters': result.unjoined,
    'federation-endpoint': result.federationEndpoint ?? null,
    'cluster-endpoints': result.clusterEndpoints,
    'federation-context': result.federationContext,
    kubeconfig: kubeconfigPath ?? null,
    plan: plannedChanges(result.steps),
    'retained-volume': result.retainedVolume ?? null,
    propagation: propagationOutput(result.delivery ?? []),
    clusters: result.clusters,
    'control-plane': result.controlPlane,
    errors: result.errors,
    problems: result.problems,
    warnings: result.warnings,
    ...(result.federated ? { federated: result.federated } : {}),
    ...(result.orphaning ? { 'orphaning-deletion': result.orphaning } : {}),
  };
}
