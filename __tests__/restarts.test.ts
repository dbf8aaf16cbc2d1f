import { describe, expect, test } from '@jest/globals';
import { parseSpec } from '../src/inputs/spec.js';
import { backedOffRestarts } from '../src/plan/restarts.js';
import type { DeploymentFields } from '../src/report/control-plane-health.js';
import type { PodFields } from '../src/report/pod-diagnosis.js';

const spec = parseSpec(
  (n) =>
    ({
      'federation-name': 'fellowship',
      'host-cluster-context': 'rivendell',
      'federation-system-namespace': 'fed',
      'dns-provider': 'coredns',
      'dns-zone-name': 'example.com.',
    })[n] ?? '',
  { readFile: () => '' },
);

/** The control plane's Deployments, each selecting its Pods by module, as desired/ makes them. */
const MODULES = ['controller-manager', 'webhook', 'dns-controller', 'external-dns', 'apiserver'];
const deployments = new Map<string, DeploymentFields>(
  MODULES.map((module) => [
    `fellowship-${module}`,
    { metadata: { name: `fellowship-${module}` }, spec: { selector: { matchLabels: { module } } } },
  ]),
);

const pod = (replicaSet: string, reason?: string): PodFields => ({
  metadata: { name: `${replicaSet}-x1`, labels: { module: replicaSet.replace(/^fellowship-|-[0-9a-f]+$/g, '') } },
  status: { containerStatuses: [{ name: 'c', state: reason ? { waiting: { reason } } : {} }] },
});

describe('backedOffRestarts', () => {
  test('deletes the Pods in crash-loop back-off of the controllers, not the API server', () => {
    const pods = [
      pod('fellowship-controller-manager-5d8f', 'CrashLoopBackOff'),
      pod('fellowship-external-dns-77c9', 'CrashLoopBackOff'),
      pod('fellowship-dns-controller-6b4f'),
      pod('fellowship-apiserver-9f8e', 'CrashLoopBackOff'),
      pod('fellowship-webhook-1a2b', 'ContainerCreating'),
    ];
    const steps = backedOffRestarts(spec, deployments, pods, new Set());
    expect(steps.map((s) => [s.action, s.object.kind, s.object.metadata.namespace, s.object.metadata.name])).toEqual([
      ['delete', 'Pod', 'fed', 'fellowship-controller-manager-5d8f-x1'],
      ['delete', 'Pod', 'fed', 'fellowship-external-dns-77c9-x1'],
    ]);
    expect(steps[0].reason).toMatch(/crash-loop back-off/);
  });

  test('leaves the Pods of a Deployment this run created or changed (they are new anyway)', () => {
    const pods = [pod('fellowship-controller-manager-5d8f', 'CrashLoopBackOff')];
    expect(backedOffRestarts(spec, deployments, pods, new Set(['fellowship-controller-manager']))).toEqual([]);
  });
});
