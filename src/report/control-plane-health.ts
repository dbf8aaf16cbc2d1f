// The control plane's health by part (the API server, KubeFed's controller manager and webhook,
// DNS), each part one or more Deployments on the host: whether each is available and steady,
// and if not, why, from its Pods (pod-diagnosis.ts). Pure: the reading is observe/pods.ts.
import { hostNames } from '../desired/control-plane.js';
import {
  type Evidence,
  type InputsOf,
  type PodFields,
  type Trouble,
  clusterText,
  describeTrouble,
  podTroubles,
} from './pod-diagnosis.js';

/** A Deployment's fields the health check reads. */
export interface DeploymentFields {
  metadata: { name?: string; generation?: number };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface Part {
  /** As the report names it. */
  name: string;
  deployments: string[];
}

/** The parts of the control plane on the host, each with its Deployments. */
export function controlPlaneParts(federation: string): Part[] {
  const n = hostNames(federation);
  return [
    { name: 'API server', deployments: [n.apiServer] },
    { name: 'controller manager', deployments: [n.controllerManager] },
    { name: 'webhook', deployments: [n.webhook] },
    { name: 'DNS', deployments: [n.dnsController, n.externalDns] },
  ];
}

/**
 * The inputs that set each container's image, and those that shape what its program does, by
 * the container names the control plane's Deployments use (desired/).
 */
const CONTAINER_INPUTS: Record<string, { image: string; settings: string[] }> = {
  apiserver: { image: 'image', settings: ['apiserver-arg-overrides'] },
  etcd: { image: 'etcd-image', settings: [] },
  'controller-manager': { image: 'controller-manager-image', settings: ['controllermanager-arg-overrides'] },
  'admission-webhook': { image: 'controller-manager-image', settings: [] },
  'kube-controller-manager': { image: 'kube-controller-manager-image', settings: [] },
  'dns-controller': { image: 'dns-controller-image', settings: [] },
  'external-dns': { image: 'external-dns-image', settings: ['dns-provider', 'dns-provider-config'] },
};

export const inputsOfContainer: InputsOf = (container) => CONTAINER_INPUTS[container] ?? { settings: [] };

/** The inputs that decide the etcd claim's volume. */
export const CLAIM_INPUTS = ['etcd-pv-storage-class', 'etcd-persistent-storage'];

/** A Deployment that is not available and steady: what is wrong, and its Pods' troubles. */
export interface DeploymentTrouble {
  /** "deployment <ns>/<name> is not available", ... */
  problem: string;
  troubles: Trouble[];
  /** Why it has no Pod, when it has none (the ReplicaSet's failure, e.g. a refused Pod). */
  noPod?: string;
}

/** Whether a Pod is one of the Deployment's: its selector's labels, and not on its way out. */
export function ownPods(d: DeploymentFields, pods: PodFields[]): PodFields[] {
  const match = Object.entries(d.spec?.selector?.matchLabels ?? {});
  return pods.filter(
    (p) => !p.metadata.deletionTimestamp && match.length && match.every(([k, v]) => p.metadata.labels?.[k] === v),
  );
}

/**
 * A Deployment's state from it and the namespace's Pods: null when it is available, none of its
 * containers is crash-looping (a Deployment counts as available between two crashes), and each
 * container without a readiness probe has run long enough to count (see STEADY_WITHOUT_PROBE_MS).
 */
export function deploymentTrouble(
  namespace: string,
  name: string,
  d: DeploymentFields | undefined,
  pods: PodFields[],
  now: Date,
): DeploymentTrouble | null {
  const ref = `deployment ${namespace}/${name}`;
  if (!d) return { problem: `${ref} does not exist`, troubles: [] };
  if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0))
    return { problem: `${ref} is rolling out`, troubles: [] };
  const own = ownPods(d, pods);
  const troubles = own.flatMap((p) => podTroubles(p, now));
  const conditions = d.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Available' && c.status === 'True')) {
    const pending = rolloutPending(d);
    if (pending) return { problem: `${ref} is rolling out: ${pending}`, troubles };
    const crashing = troubles.filter((t) => t.kind === 'crash');
    if (crashing.length) return { problem: `${ref} keeps restarting`, troubles: crashing };
    const starting = troubles.filter((t) => t.kind === 'starting');
    return starting.length ? { problem: `${ref} is starting`, troubles: starting } : null;
  }
  const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const noPod = own.length
    ? undefined
    : failure
      ? `no pod: ${clusterText([failure.reason, failure.message].filter(Boolean).join(': '))}`
      : 'no pod yet';
  return { problem: `${ref} is not available`, troubles, ...(noPod ? { noPod } : {}) };
}

/**
 * What is left of a rollout the Deployment controller has seen, as `kubectl rollout status` judges
 * it: "Available" stays true while the old Pod serves, so a rollout is done only once every replica
 * runs the new template, no old one is left, and each new one is available.
 */
export function rolloutPending(d: DeploymentFields): string | undefined {
  const want = d.spec?.replicas ?? 1;
  const { replicas = 0, updatedReplicas = 0, availableReplicas = 0 } = d.status ?? {};
  if (updatedReplicas < want) return `${updatedReplicas} of ${want} updated replicas`;
  if (replicas > updatedReplicas) return `${replicas - updatedReplicas} old replicas pending termination`;
  if (availableReplicas < updatedReplicas)
    return `${availableReplicas} of ${updatedReplicas} updated replicas available`;
  return undefined;
}

/** The trouble as one line: the problem, then why (each Pod's troubles, with the inputs that fix them). */
export function describeDeploymentTrouble(trouble: DeploymentTrouble, evidence: Evidence): string {
  const why = [
    ...(trouble.noPod ? [trouble.noPod] : []),
    ...trouble.troubles.map((t) => describeTrouble(t, evidence, inputsOfContainer, CLAIM_INPUTS)),
  ];
  return why.length ? `${trouble.problem}: ${why.join('; ')}` : trouble.problem;
}
