// Unit tests of the delivery gate's judging (pure): KubeFed's status of a federated object, its
// generation, and the members' collected status.
import { describe, expect, test } from '@jest/globals';
import { FederatedStatusFields, deliveryProblems, deliveryProgress, judgeDelivery } from '../src/wait/delivery.js';
import { deliveryTable, propagationOutput } from '../src/report/propagation.js';
import { labelSelectorError } from '../src/inputs/names.js';

const available = (n: number, generation = 2) => ({
  observedGeneration: generation,
  replicas: n,
  updatedReplicas: n,
  availableReplicas: n,
  readyReplicas: n,
});

const deployment = (status: FederatedStatusFields['status'], extra: Partial<FederatedStatusFields> = {}) => ({
  kind: 'FederatedDeployment',
  metadata: { name: 'web', namespace: 'shop', generation: 3 },
  spec: { template: { spec: { replicas: 2 } } },
  status,
  ...extra,
});
const propagated = { type: 'Propagation', status: 'True' };

describe('a federated object is delivered', () => {
  test('with rollout: only once every member reports its replicas updated and available', () => {
    const both = deployment({
      observedGeneration: 3,
      conditions: [propagated],
      clusters: [
        { name: 'gondor', remoteStatus: available(2) },
        { name: 'noldor', remoteStatus: { ...available(2), availableReplicas: 1 } },
      ],
    });
    const judged = judgeDelivery(both, 'replicas', true);
    expect(judged).toMatchObject({ object: 'FederatedDeployment/shop/web', judged: 'rollout', delivered: false });
    expect(judged.clusters.gondor).toEqual({ status: 'OK', reason: '2/2 available', delivered: true });
    expect(judged.clusters.noldor).toMatchObject({ status: 'OK', reason: '1/2 available', delivered: false });
    expect(deliveryProgress([judged])).toBe(
      '0/1 delivered, waiting for FederatedDeployment/shop/web (noldor: 1/2 available)',
    );
    const done = deployment({ ...both.status, clusters: [both.status?.clusters?.[0] ?? { name: '' }] });
    expect(judgeDelivery(done, 'replicas', true).delivered).toBe(true);
  });

  test("a member's status of an older generation than KubeFed wrote there is not delivered", () => {
    const obj = deployment({ observedGeneration: 3, clusters: [{ name: 'gondor', remoteStatus: available(2, 4) }] });
    expect(judgeDelivery(obj, 'replicas', true, new Map([['gondor', 4]])).delivered).toBe(true);
    const behind = judgeDelivery(obj, 'replicas', true, new Map([['gondor', 5]]));
    expect(behind.clusters.gondor?.reason).toContain('has not observed generation 5');
    expect(behind.delivered).toBe(false);
  });

  test("a member's override of the replicas is what that member must reach; no collected status is pending", () => {
    const obj = deployment(
      { observedGeneration: 3, clusters: [{ name: 'gondor', remoteStatus: available(3) }, { name: 'noldor' }] },
      {
        spec: {
          template: { spec: { replicas: 2 } },
          overrides: [{ clusterName: 'gondor', clusterOverrides: [{ path: '/spec/replicas', value: 3 }] }],
        },
      },
    );
    const judged = judgeDelivery(obj, 'replicas', true);
    expect(judged.clusters.gondor?.delivered).toBe(true);
    expect(judged.clusters.noldor?.reason).toBe("the member's status is not collected yet");
  });

  test('without collection (or a rollout notion) presence is what counts, and the output says which', () => {
    const obj = deployment({ observedGeneration: 3, clusters: [{ name: 'gondor' }] });
    const judged = judgeDelivery(obj, 'replicas', false);
    expect(judged).toMatchObject({ judged: 'presence', delivered: true });
    expect(propagationOutput([judged])).toEqual({
      'FederatedDeployment/shop/web': {
        delivered: true,
        judged: 'presence',
        clusters: { gondor: { status: 'OK', reason: 'present', delivered: true } },
      },
    });
  });

  test('a Job counts when complete; a failed one is final', () => {
    const job = (conditions: { type: string; status: string; reason?: string }[]) =>
      judgeDelivery(
        {
          kind: 'FederatedJob',
          metadata: { name: 'j', generation: 1 },
          status: { observedGeneration: 1, clusters: [{ name: 'g', remoteStatus: { conditions } }] },
        },
        'job',
        true,
      );
    expect(job([{ type: 'Complete', status: 'True' }]).delivered).toBe(true);
    expect(job([]).delivered).toBe(false);
    expect(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }])).toMatchObject({
      delivered: false,
      final: true,
    });
  });
});

describe('a federated object is not delivered', () => {
  test("KubeFed's status of an older generation is pending, not healthy; no status at all too", () => {
    const old = judgeDelivery(
      deployment({ observedGeneration: 2, conditions: [propagated], clusters: [{ name: 'g' }] }),
      undefined,
      false,
    );
    expect(old).toMatchObject({
      delivered: false,
      reason: 'pending: generation 3 not yet propagated (status is of generation 2)',
    });
    expect(judgeDelivery(deployment(undefined), undefined, false).reason).toContain(
      'KubeFed has not reported on it yet',
    );
    expect(deliveryTable([old], (t) => t)).toContain(
      '| FederatedDeployment/shop/web | — | Pending | pending: generation 3 not yet propagated (status is of generation 2) |',
    );
  });

  test("a member's propagation status names it; an override that cannot apply is final", () => {
    const obj = deployment({
      observedGeneration: 3,
      conditions: [{ type: 'Propagation', status: 'False', reason: 'CheckClusters' }],
      clusters: [
        { name: 'gondor', status: 'ApplyOverridesFailed' },
        { name: 'noldor', status: 'ClusterNotReady' },
        { name: 'rohan' },
      ],
    });
    const judged = judgeDelivery(obj, undefined, false);
    expect(judged.clusters).toEqual({
      gondor: { status: 'ApplyOverridesFailed', reason: 'ApplyOverridesFailed', delivered: false, final: true },
      noldor: { status: 'ClusterNotReady', reason: 'ClusterNotReady', delivered: false },
      rohan: { status: 'OK', reason: 'present', delivered: true },
    });
    expect(judged.final).toBeUndefined();
    expect(deliveryProblems([judged])).toEqual([
      'FederatedDeployment/shop/web is not delivered: cluster "gondor": ApplyOverridesFailed; cluster "noldor": ClusterNotReady',
    ]);
  });

  test('the Propagation condition False for the object as a whole is its reason', () => {
    const obj = deployment({
      observedGeneration: 3,
      conditions: [{ type: 'Propagation', status: 'False', reason: 'NamespaceNotFederated' }],
    });
    expect(judgeDelivery(obj, undefined, false)).toMatchObject({
      delivered: false,
      reason: 'Propagation: NamespaceNotFederated',
    });
  });
});

describe('propagation-selector', () => {
  test('takes what kubectl -l takes, and names the part it does not', () => {
    for (const ok of [
      'app=web',
      'app==web,tier!=db',
      '!legacy',
      'tier in (front, back)',
      'example.com/team notin (a),x',
    ])
      expect(labelSelectorError(ok)).toBeNull();
    expect(labelSelectorError('app=web,=x')).toContain('"=x"');
    expect(labelSelectorError('app in ()')).toContain('"app in ()"');
    expect(labelSelectorError('a b')).toContain('"a b"');
  });
});
