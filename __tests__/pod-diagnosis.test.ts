// Why a control-plane Deployment is not available, from its Pods: the Pod statuses, events and
// logs below have the shapes a real cluster writes (k8s.io/api core/v1 types; the kubelet's
// reasons and messages from pkg/kubelet/images and pkg/kubelet/kuberuntime, the scheduler's from
// its volumebinding plugin, the PV controller's FailedBinding event).
import { describe, expect, test } from '@jest/globals';
import { FILES } from '../src/desired/credentials.js';
import { hostObjects } from '../src/desired/host-objects.js';
import type { KubeObject } from '../src/desired/objects.js';
import { type Spec, parseSpec } from '../src/inputs/spec.js';
import {
  type DeploymentFields,
  controlPlaneParts,
  describeDeploymentTrouble,
  deploymentTrouble,
  inputsOfContainer,
} from '../src/report/control-plane-health.js';
import {
  type Evidence,
  type PodFields,
  clusterText,
  evidenceNeeded,
  noEvidence,
  podTroubles,
} from '../src/report/pod-diagnosis.js';

const NS = 'federation-system';
const now = new Date('2026-11-30T03:10:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const labels = (module: string) => ({
  app: 'federated-cluster',
  module,
  'kubefed-action.io/federation': 'fellowship',
  'pod-template-hash': '7c9d8b6f5',
});

function deployment(module: string, available: boolean, extra: object[] = []): DeploymentFields {
  const { app, 'kubefed-action.io/federation': federation } = labels(module);
  const matchLabels = { app, module, 'kubefed-action.io/federation': federation };
  return {
    metadata: { name: `fellowship-${module}`, generation: 1 },
    spec: { replicas: 1, selector: { matchLabels } },
    status: {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      availableReplicas: available ? 1 : 0,
      conditions: [
        available
          ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }
          : {
              type: 'Available',
              status: 'False',
              reason: 'MinimumReplicasUnavailable',
              message: 'Deployment does not have minimum availability.',
            },
        ...extra,
      ] as { type: string; status: string }[],
    },
  };
}

const conditions = (ready: boolean) => [
  { type: 'PodReadyToStartContainers', status: 'True' },
  { type: 'Initialized', status: 'True' },
  ready
    ? { type: 'Ready', status: 'True' }
    : { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [x]' },
  { type: 'ContainersReady', status: ready ? 'True' : 'False' },
  { type: 'PodScheduled', status: 'True' },
];

/** A Pod of a module with one container of the given status (the rest as the kubelet fills it). */
function pod(module: string, container: string, image: string, status: object, extra: object = {}): PodFields {
  const ready = (status as { ready?: boolean }).ready === true;
  return {
    metadata: { name: `fellowship-${module}-7c9d8b6f5-x2x9k`, uid: '0b7e5f6a-1', labels: labels(module) },
    spec: { containers: [{ name: container, image }], ...extra },
    status: {
      phase: ready || (status as { state?: { running?: object } }).state?.running ? 'Running' : 'Pending',
      conditions: conditions(ready),
      containerStatuses: [{ name: container, image, imageID: '', started: false, restartCount: 0, ...status }],
    } as unknown as PodFields['status'],
  };
}

const EXTERNAL_DNS = 'registry.example/no-such/external-dns:v0';
const pullBackOff = pod('external-dns', 'external-dns', EXTERNAL_DNS, {
  ready: false,
  state: {
    waiting: {
      reason: 'ImagePullBackOff',
      message:
        `Back-off pulling image "${EXTERNAL_DNS}": ErrImagePull: failed to pull and unpack image "${EXTERNAL_DNS}": ` +
        `failed to resolve reference "${EXTERNAL_DNS}": failed to do request: Head ` +
        '"https://registry.example/v2/no-such/external-dns/manifests/v0": dial tcp: lookup registry.example: no such host',
    },
  },
  lastState: {},
});

const crashLoop = pod('external-dns', 'external-dns', 'registry.k8s.io/external-dns/external-dns:v0.19.0', {
  ready: false,
  restartCount: 4,
  state: {
    waiting: {
      reason: 'CrashLoopBackOff',
      message:
        'back-off 1m20s restarting failed container=external-dns ' +
        'pod=fellowship-external-dns-7c9d8b6f5-x2x9k_federation-system(0b7e5f6a-1)',
    },
  },
  lastState: {
    terminated: {
      exitCode: 1,
      reason: 'Error',
      startedAt: ago(95),
      finishedAt: ago(92),
      containerID: 'containerd://4f1c',
    },
  },
});

const logs = (lines: string[]): Evidence => ({
  ...noEvidence(),
  logs: new Map([['fellowship-external-dns-7c9d8b6f5-x2x9k/external-dns', { lines }]]),
});

const describe1 = (module: string, p: PodFields, evidence = noEvidence(), available = false) => {
  const trouble = deploymentTrouble(NS, `fellowship-${module}`, deployment(module, available), [p], now);
  return trouble && describeDeploymentTrouble(trouble, evidence);
};

describe('why a control-plane Deployment is not available', () => {
  test('an image that cannot be pulled: the kubelet reason and message, and the input that sets it', () => {
    expect(describe1('external-dns', pullBackOff)).toBe(
      'deployment federation-system/fellowship-external-dns is not available: ' +
        'pod fellowship-external-dns-7c9d8b6f5-x2x9k: container "external-dns" cannot get image ' +
        `"${EXTERNAL_DNS}": ImagePullBackOff: Back-off pulling image "${EXTERNAL_DNS}": ErrImagePull: failed to pull ` +
        `and unpack image "${EXTERNAL_DNS}": failed to resolve reference "${EXTERNAL_DNS}": failed to do request: ` +
        'Head "https://registry.example/v2/no-such/external-dns/manifests/v0": dial tcp: lookup registry.example: ' +
        'no such host (input `external-dns-image`)',
    );
    // Nothing more to read: the Pod's status says it all.
    expect(evidenceNeeded(podTroubles(pullBackOff, now))).toEqual({ podEvents: [], logs: [], claims: [] });
  });

  test('a runtime that names the image in its message, without a kubelet reason, is an image problem too', () => {
    const p = pod('dns-controller', 'dns-controller', 'ghcr.io/nobody/nothing:v1', {
      state: {
        waiting: {
          reason: 'ContainerCreating',
          message: 'testenv has no program for image ghcr.io/nobody/nothing:v1 (it runs only images it builds)',
        },
      },
    });
    expect(describe1('dns-controller', p)).toMatch(
      /container "dns-controller" cannot get image "ghcr.io\/nobody\/nothing:v1": ContainerCreating: .* \(input `dns-controller-image`\)$/,
    );
  });

  test('a crash loop: restarts, last exit code and reason, the end of the previous log, the inputs', () => {
    const lines = [
      'time="2026-11-30T03:08:27Z" level=info msg="config: {...}"',
      'time="2026-11-30T03:08:28Z" level=fatal msg="google: could not find default credentials. ' +
        'See https://cloud.google.com/docs/authentication/external/set-up-adc for more information"',
      '',
    ];
    expect(describe1('external-dns', crashLoop, logs(lines))).toBe(
      'deployment federation-system/fellowship-external-dns is not available: ' +
        'pod fellowship-external-dns-7c9d8b6f5-x2x9k: container "external-dns" is crash-looping ' +
        '(4 restarts, last exit code 1 (Error)) (inputs `external-dns-image`, `dns-provider`, `dns-provider-config`); ' +
        `its previous log ends: ${lines[0]} ⏎ ${lines[1]}`,
    );
    expect(evidenceNeeded(podTroubles(crashLoop, now))).toEqual({
      podEvents: [],
      logs: [['fellowship-external-dns-7c9d8b6f5-x2x9k', 'external-dns']],
      claims: [],
    });
    // A log the API server cannot fetch (no kubelet to ask, or no right to pods/log) is said so.
    const unread: Evidence = {
      ...noEvidence(),
      logs: new Map([['fellowship-external-dns-7c9d8b6f5-x2x9k/external-dns', { error: 'HTTP 403: forbidden' }]]),
    };
    expect(describe1('external-dns', crashLoop, unread)).toMatch(
      /; its previous log could not be read \(HTTP 403: forbidden\)$/,
    );
  });

  test('a crash loop between two crashes: the Deployment may say Available, the restart is still a problem', () => {
    const runningAgain = (seconds: number) =>
      pod('external-dns', 'external-dns', 'registry.k8s.io/external-dns/external-dns:v0.19.0', {
        ready: true,
        started: true,
        restartCount: 3,
        state: { running: { startedAt: ago(seconds) } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(40), finishedAt: ago(seconds + 10) } },
      });
    expect(describe1('external-dns', runningAgain(4), noEvidence(), true)).toBe(
      'deployment federation-system/fellowship-external-dns keeps restarting: ' +
        'pod fellowship-external-dns-7c9d8b6f5-x2x9k: container "external-dns" is crash-looping ' +
        '(3 restarts, last exit code 1 (Error), running again for 4s) ' +
        '(inputs `external-dns-image`, `dns-provider`, `dns-provider-config`)',
    );
    // Once it has run steadily after its last restart, it is available.
    expect(describe1('external-dns', runningAgain(60), noEvidence(), true)).toBeNull();
  });

  test('a crash loop the moment the container exited again (before the kubelet puts it in back-off)', () => {
    const exited = (restartCount: number) =>
      pod('external-dns', 'external-dns', 'registry.k8s.io/external-dns/external-dns:v0.19.0', {
        restartCount,
        state: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(3), finishedAt: ago(1) } },
        ...(restartCount ? { lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(15) } } } : {}),
      });
    expect(describe1('external-dns', exited(2))).toContain(
      'container "external-dns" is crash-looping (2 restarts, last exit code 1 (Error)) ' +
        '(inputs `external-dns-image`, `dns-provider`, `dns-provider-config`)',
    );
    expect(describe1('external-dns', exited(0))).toContain('container "external-dns" has exited (exit code 1 (Error))');
  });

  test('before its first crash: a container without a readiness probe counts only once it has run a while', () => {
    const firstRun = (seconds: number, extra: object = {}) =>
      pod(
        'external-dns',
        'external-dns',
        'registry.k8s.io/external-dns/external-dns:v0.19.0',
        { ready: true, started: true, state: { running: { startedAt: ago(seconds) } } },
        extra,
      );
    expect(describe1('external-dns', firstRun(2), noEvidence(), true)).toBe(
      'deployment federation-system/fellowship-external-dns is starting: ' +
        'pod fellowship-external-dns-7c9d8b6f5-x2x9k: container "external-dns" started 2s ago; ' +
        'having no readiness probe, it counts as running once it has run 10s',
    );
    expect(describe1('external-dns', firstRun(11), noEvidence(), true)).toBeNull();
    // A passed readiness probe is the program's own word: no wait.
    const probed = {
      containers: [{ name: 'external-dns', image: 'x', readinessProbe: { tcpSocket: { port: 7979 } } }],
    };
    expect(describe1('external-dns', firstRun(2, probed), noEvidence(), true)).toBeNull();
  });

  test('an OOM kill: the kubelet reason beside the exit code', () => {
    const oom = pod('apiserver', 'etcd', 'registry.k8s.io/etcd:3.6.4-0', {
      restartCount: 2,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=etcd' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: ago(5) } },
    });
    expect(describe1('apiserver', oom)).toContain(
      'container "etcd" is crash-looping (2 restarts, last exit code 137 (OOMKilled)) (input `etcd-image`)',
    );
  });

  test('Pending on an unbound claim: the scheduler message, and the claim and the inputs that decide it', () => {
    const p: PodFields = {
      metadata: { name: 'fellowship-apiserver-5d8f7c9b6d-q7r2m', labels: labels('federation-apiserver') },
      spec: {
        containers: [{ name: 'apiserver', image: 'registry.k8s.io/kube-apiserver:v1.34.4' }],
        volumes: [
          { name: 'credentials' },
          { name: 'etcd-data', persistentVolumeClaim: { claimName: 'fellowship-federation-apiserver-etcd-claim' } },
        ],
      },
      status: {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message:
              '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes ' +
              'are available: 1 Preemption is not helpful for scheduling.',
          },
        ],
      },
    };
    const troubles = podTroubles(p, now);
    expect(evidenceNeeded(troubles)).toEqual({
      podEvents: [],
      logs: [],
      claims: ['fellowship-federation-apiserver-etcd-claim'],
    });
    const claim = {
      phase: 'Pending',
      events: [
        {
          type: 'Normal',
          reason: 'FailedBinding',
          message: 'no persistent volumes available for this claim and no storage class is set',
          involvedObject: {},
          lastTimestamp: ago(3),
        },
      ],
    };
    const evidence = { ...noEvidence(), claims: new Map([['fellowship-federation-apiserver-etcd-claim', claim]]) };
    const trouble = deploymentTrouble(NS, 'fellowship-apiserver', deployment('federation-apiserver', false), [p], now);
    expect(trouble && describeDeploymentTrouble(trouble, evidence)).toBe(
      'deployment federation-system/fellowship-apiserver is not available: ' +
        'pod fellowship-apiserver-5d8f7c9b6d-q7r2m cannot be scheduled: Unschedulable: 0/1 nodes are available: pod ' +
        'has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not ' +
        'helpful for scheduling.; claim fellowship-federation-apiserver-etcd-claim is Pending: FailedBinding: no ' +
        'persistent volumes available for this claim and no storage class is set ' +
        '(inputs `etcd-pv-storage-class`, `etcd-persistent-storage`)',
    );
  });

  test('a failing readiness probe: the latest Unhealthy event of that container', () => {
    const p = pod('controller-manager', 'controller-manager', 'quay.io/kubernetes-multicluster/kubefed:v0.10.0', {
      ready: false,
      started: true,
      state: { running: { startedAt: ago(120) } },
    });
    const probeFailed = (seconds: number, message: string, container = 'controller-manager') => ({
      type: 'Warning',
      reason: 'Unhealthy',
      message,
      involvedObject: { kind: 'Pod', fieldPath: `spec.containers{${container}}` },
      lastTimestamp: ago(seconds),
    });
    const evidence: Evidence = {
      ...noEvidence(),
      podEvents: new Map([
        [
          'fellowship-controller-manager-7c9d8b6f5-x2x9k',
          [
            probeFailed(3, 'Readiness probe failed: HTTP probe failed with statuscode: 500'),
            probeFailed(60, 'Readiness probe failed: Get "http://10.244.0.12:8080/healthz": connection refused'),
            probeFailed(1, 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'kube-controller-manager'),
            {
              type: 'Normal',
              reason: 'Started',
              message: 'Started container controller-manager',
              lastTimestamp: ago(120),
            },
          ],
        ],
      ]),
    };
    expect(evidenceNeeded(podTroubles(p, now)).podEvents).toEqual(['fellowship-controller-manager-7c9d8b6f5-x2x9k']);
    expect(describe1('controller-manager', p, evidence)).toBe(
      'deployment federation-system/fellowship-controller-manager is not available: ' +
        'pod fellowship-controller-manager-7c9d8b6f5-x2x9k: container "controller-manager" is running but its ' +
        'readiness probe fails: Readiness probe failed: HTTP probe failed with statuscode: 500',
    );
  });

  test('waiting with the kubelet message, or with the Pod warning event when the status has none', () => {
    const config = pod('dns-controller', 'dns-controller', 'ghcr.io/kubefed-action/kubefed-action:v0.1.0', {
      state: {
        waiting: { reason: 'CreateContainerConfigError', message: 'secret "fellowship-dns-kubeconfig" not found' },
      },
    });
    expect(describe1('dns-controller', config)).toMatch(
      /container "dns-controller" is waiting: CreateContainerConfigError: secret "fellowship-dns-kubeconfig" not found$/,
    );
    const creating = pod('webhook', 'admission-webhook', 'quay.io/kubernetes-multicluster/kubefed:v0.10.0', {
      state: { waiting: { reason: 'ContainerCreating' } },
    });
    const mount = {
      type: 'Warning',
      reason: 'FailedMount',
      message:
        'MountVolume.SetUp failed for volume "serving-cert" : secret "fellowship-webhook-serving-cert" not found',
      lastTimestamp: ago(2),
    };
    const evidence = { ...noEvidence(), podEvents: new Map([['fellowship-webhook-7c9d8b6f5-x2x9k', [mount]]]) };
    expect(describe1('webhook', creating, evidence)).toMatch(
      /container "admission-webhook" is waiting: ContainerCreating: FailedMount: MountVolume.SetUp failed for volume "serving-cert" : secret "fellowship-webhook-serving-cert" not found$/,
    );
  });

  test('an evicted Pod, and a Deployment whose Pods the API server refuses', () => {
    const evicted: PodFields = {
      metadata: { name: 'fellowship-apiserver-5d8f7c9b6d-q7r2m', labels: labels('federation-apiserver') },
      status: {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91204Ki.',
      },
    };
    expect(describe1('federation-apiserver', evicted)).toBe(
      'deployment federation-system/fellowship-federation-apiserver is not available: ' +
        'pod fellowship-apiserver-5d8f7c9b6d-q7r2m failed: Evicted: The node was low on resource: memory. ' +
        'Threshold quantity: 100Mi, available: 91204Ki.',
    );
    const refused = deployment('webhook', false, [
      {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message:
          'pods "fellowship-webhook-7c9d8b6f5-x2x9k" is forbidden: violates PodSecurity "restricted:latest": ' +
          'allowPrivilegeEscalation != false (container "admission-webhook" must set ' +
          'securityContext.allowPrivilegeEscalation=false)',
      },
    ]);
    const trouble = deploymentTrouble(NS, 'fellowship-webhook', refused, [], now);
    expect(trouble && describeDeploymentTrouble(trouble, noEvidence())).toMatch(
      /^deployment federation-system\/fellowship-webhook is not available: no pod: FailedCreate: pods "fellowship-webhook-7c9d8b6f5-x2x9k" is forbidden: violates PodSecurity/,
    );
    const none = deploymentTrouble(NS, 'fellowship-webhook', deployment('webhook', false), [], now);
    expect(none && describeDeploymentTrouble(none, noEvidence())).toBe(
      'deployment federation-system/fellowship-webhook is not available: no pod yet',
    );
  });

  test('only the Deployment own Pods count: another module and a Pod on its way out are not it', () => {
    const leaving = { ...crashLoop, metadata: { ...crashLoop.metadata, deletionTimestamp: ago(1) } };
    const other = pod('webhook', 'admission-webhook', 'x', { state: { waiting: { reason: 'CrashLoopBackOff' } } });
    const trouble = deploymentTrouble(
      NS,
      'fellowship-external-dns',
      deployment('external-dns', false),
      [leaving, other],
      now,
    );
    expect(trouble && describeDeploymentTrouble(trouble, noEvidence())).toBe(
      'deployment federation-system/fellowship-external-dns is not available: no pod yet',
    );
  });

  test('absent, rolling out, and available and steady', () => {
    expect(deploymentTrouble(NS, 'fellowship-webhook', undefined, [], now)?.problem).toBe(
      'deployment federation-system/fellowship-webhook does not exist',
    );
    const rolling = { ...deployment('webhook', true), metadata: { name: 'fellowship-webhook', generation: 2 } };
    expect(deploymentTrouble(NS, 'fellowship-webhook', rolling, [], now)?.problem).toBe(
      'deployment federation-system/fellowship-webhook is rolling out',
    );
    const steady = pod('webhook', 'admission-webhook', 'x', {
      ready: true,
      state: { running: { startedAt: ago(300) } },
    });
    expect(deploymentTrouble(NS, 'fellowship-webhook', deployment('webhook', true), [steady], now)).toBeNull();
  });

  test('a rollout the controller has seen is not done while the old Pod still serves (Available stays true)', () => {
    const seen = (status: object) => {
      const d = deployment('apiserver', true);
      return { ...d, status: { ...d.status, ...status } };
    };
    const problem = (status: object) => deploymentTrouble(NS, 'fellowship-apiserver', seen(status), [], now)?.problem;
    // Recreate: the old ReplicaSet scaled down, its Pod still counted, no new one yet.
    expect(problem({ updatedReplicas: 0 })).toBe(
      'deployment federation-system/fellowship-apiserver is rolling out: 0 of 1 updated replicas',
    );
    // RollingUpdate: the new Pod is up, the old one not gone yet.
    expect(problem({ replicas: 2 })).toBe(
      'deployment federation-system/fellowship-apiserver is rolling out: 1 old replicas pending termination',
    );
    expect(problem({ availableReplicas: 0 })).toBe(
      'deployment federation-system/fellowship-apiserver is rolling out: 0 of 1 updated replicas available',
    );
    expect(problem({})).toBeUndefined();
  });
});

describe('text read from a cluster', () => {
  test('is one line of plain text: no terminal escapes, control characters shown, long text cut', () => {
    expect(clusterText('\u001b[31mred\u001b[0m\r\nnext\u0007 \u202eevil')).toBe('red next\\u0007 \\u202eevil');
    expect(clusterText('x'.repeat(600))).toHaveLength(500);
    expect(clusterText('x'.repeat(600)).endsWith('…')).toBe(true);
  });

  test('a log line cannot end the problem line or hide in it', () => {
    const evidence = logs(['::error::forged', 'line\u001b]0;title\u0007\u0007 two\nthree']);
    expect(describe1('external-dns', crashLoop, evidence)).toMatch(
      /its previous log ends: ::error::forged ⏎ line\\u0007 two three$/,
    );
  });
});

/** Every credential file, as stand-in text (the manifests only carry them). */
const CREDENTIALS = Object.fromEntries(Object.values(FILES).map((f) => [f, `${f} content`]));

describe('the inputs a diagnosis names', () => {
  const spec = (inputs: Record<string, string> = {}): Spec => {
    const all: Record<string, string> = {
      'federation-name': 'fellowship',
      'host-cluster-context': 'rivendell',
      'dns-provider': 'coredns',
      'dns-zone-name': 'example.com.',
      'dns-provider-config': '[Global]\netcd-endpoints = http://etcd:2379',
      ...inputs,
    };
    return parseSpec((n) => all[n] ?? '', { readFile: () => '' });
  };
  const containers = (s: Spec) =>
    hostObjects({ spec: s, credentials: CREDENTIALS, address: '10.0.0.1' })
      .filter(
        (o): o is KubeObject & { spec: { template: { spec: { containers: { name: string; image: string }[] } } } } =>
          o.kind === 'Deployment',
      )
      .flatMap((d) => d.spec.template.spec.containers.map((c) => ({ deployment: d.metadata.name, ...c })));

  test('every container of the control plane has the input that sets its image, and that input does', () => {
    const base = containers(spec());
    expect(base.length).toBeGreaterThanOrEqual(6);
    for (const c of base) {
      const input = inputsOfContainer(c.name).image;
      expect({ container: c.name, input }).toEqual({ container: c.name, input: expect.any(String) });
      const changed = containers(spec({ [input as string]: 'registry.example/changed/image:v9' }));
      expect(changed.find((x) => x.name === c.name && x.deployment === c.deployment)?.image).not.toBe(c.image);
    }
  });

  test('the health parts cover every Deployment of the control plane, DNS as its own part', () => {
    const parts = controlPlaneParts('fellowship');
    expect(parts.find((p) => p.name === 'DNS')?.deployments).toEqual([
      'fellowship-dns-controller',
      'fellowship-external-dns',
    ]);
    const deployed = [...new Set(containers(spec()).map((c) => c.deployment))];
    const checked = parts.flatMap((p) => p.deployments);
    expect(deployed.filter((d) => !checked.includes(d))).toEqual([]);
  });
});
