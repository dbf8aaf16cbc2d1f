// The control plane's health on the host: each part's Deployments available and steady, and
// the federation API's /readyz. Asked for details, it says why a part is not, from its Pods.
import type { Cluster } from '../observe/cluster.js';
import type { Spec } from '../inputs/spec.js';
import { type ControlPlaneRead, readControlPlane, readEvidence } from '../observe/pods.js';
import {
  type DeploymentTrouble,
  controlPlaneParts,
  describeDeploymentTrouble,
  deploymentTrouble,
} from '../report/control-plane-health.js';
import { evidenceNeeded, noEvidence } from '../report/pod-diagnosis.js';

export interface PartHealth {
  name: string;
  deployments: string[];
  /** Its Deployments' problems, each with why when details were asked for; none when available. */
  problems: string[];
}

export interface ControlPlaneHealth {
  parts: PartHealth[];
  /** Every part's problems, then the federation API's. */
  problems: string[];
  /** The federation API's /readyz answered ok. */
  ready: boolean;
}

/**
 * The control plane's health: every part, or only the parts holding the given Deployments (a
 * wait for one of them). With `detailed`, a Deployment that is not available says why, from
 * what its Pods' troubles need read (events, previous logs, claims).
 */
export async function controlPlaneHealth(
  host: Cluster,
  federation: Cluster,
  spec: Spec,
  {
    deployments,
    detailed,
    read,
    ready: answered,
  }: {
    deployments?: string[];
    detailed: boolean;
    /** The Deployments and Pods as just read, instead of reading them. */
    read?: ControlPlaneRead;
    /** The federation API answered /readyz just now: it is not asked again. */
    ready?: true;
  },
): Promise<ControlPlaneHealth> {
  const parts = controlPlaneParts(spec.federationName)
    .map((p) => ({ ...p, deployments: p.deployments.filter((d) => !deployments || deployments.includes(d)) }))
    .filter((p) => p.deployments.length);
  const [observed, ready] = await Promise.all([
    read ?? readControlPlane(host, spec.namespace, spec.federationName),
    answered ?? federation.ready(),
  ]);
  const now = new Date();
  const troubles = new Map<string, DeploymentTrouble>();
  for (const name of parts.flatMap((p) => p.deployments)) {
    const trouble = deploymentTrouble(spec.namespace, name, observed.deployments.get(name), observed.pods, now);
    if (trouble) troubles.set(name, trouble);
  }
  const evidence = detailed
    ? await readEvidence(host, spec.namespace, evidenceNeeded([...troubles.values()].flatMap((t) => t.troubles)))
    : noEvidence();
  const health = parts.map((p) => ({
    ...p,
    problems: p.deployments.flatMap((d) => {
      const trouble = troubles.get(d);
      if (!trouble) return [];
      return [detailed ? describeDeploymentTrouble(trouble, evidence) : trouble.problem];
    }),
  }));
  const readyz = ready ? [] : [`federation API ${federation.server}: /readyz is not ok`];
  return { parts: health, problems: [...health.flatMap((p) => p.problems), ...readyz], ready };
}

/** What is not yet healthy in the control plane (the given Deployments, by default all of it). */
export async function controlPlaneProblems(
  host: Cluster,
  federation: Cluster,
  spec: Spec,
  deployments?: string[],
  detailed = true,
): Promise<string[]> {
  return (await controlPlaneHealth(host, federation, spec, { deployments, detailed })).problems;
}
