// The control plane's Pods to restart once the federation API has been bootstrapped anew. When
// its etcd lost its data (an emptyDir etcd restarted, or storage switched to one), KubeFed's
// controller manager and the DNS programs crash without their CRDs, and a kubelet's back-off
// (10 s, doubling up to 5 min) keeps them down long after the action has recreated the CRDs. A
// person would delete those Pods with kubectl; their ReplicaSets start new ones at once.
import { hostNames } from '../desired/control-plane.js';
import type { KubeObject } from '../desired/objects.js';
import type { Spec } from '../inputs/spec.js';
import { type DeploymentFields, ownPods } from '../report/control-plane-health.js';
import type { PodFields } from '../report/pod-diagnosis.js';
import type { Step } from './plan.js';

const backingOff = (pod: PodFields) =>
  (pod.status?.containerStatuses ?? []).some((s) => s.state?.waiting?.reason === 'CrashLoopBackOff');

/**
 * Deletions of the Pods in crash-loop back-off of the control plane's Deployments that did not
 * start in this run (whose Pods can only have crashed on the data the federation API lost),
 * the API server's own aside.
 */
export function backedOffRestarts(
  spec: Spec,
  deployments: Map<string, DeploymentFields>,
  pods: PodFields[],
  startedThisRun: Set<string>,
): Step[] {
  const names = hostNames(spec.federationName);
  return [names.controllerManager, names.webhook, names.dnsController, names.externalDns]
    .filter((name) => !startedThisRun.has(name))
    .flatMap((name) => {
      const deployment = deployments.get(name);
      return deployment ? ownPods(deployment, pods).filter(backingOff) : [];
    })
    .map((pod) => ({
      action: 'delete' as const,
      target: { kind: 'host' as const },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod.metadata.name ?? '', namespace: spec.namespace },
      } as KubeObject,
      reason: 'in crash-loop back-off since the federation API lost its data',
    }));
}
