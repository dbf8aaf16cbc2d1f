// KubeFed's verdict on a member, from the conditions its cluster health check writes (the
// shapes below are what KubeFed v0.10.0 writes; see kubeFedVerdict).
import { describe, expect, test } from '@jest/globals';
import { kubeFedVerdict } from '../src/wait/health.js';

const now = new Date('2026-11-25T12:00:00Z');
const created = (secondsAgo: number) => ({
  creationTimestamp: new Date(now.getTime() - secondsAgo * 1000).toISOString(),
});

describe('kubeFedVerdict', () => {
  test('Ready=True is ready', () => {
    expect(
      kubeFedVerdict(
        { metadata: created(60), status: { conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterReady' }] } },
        now,
      ),
    ).toBeNull();
  });

  test("Offline=True (and no Ready condition) is not ready, with KubeFed's reason and message", () => {
    const offline = {
      type: 'Offline',
      status: 'True',
      reason: 'ClusterNotReachable',
      message: 'cluster is not reachable: dial tcp 127.0.0.1:1: connect: connection refused',
    };
    expect(kubeFedVerdict({ metadata: created(60), status: { conditions: [offline] } }, now)).toBe(
      'KubeFed reports it Offline (ClusterNotReachable: cluster is not reachable: dial tcp 127.0.0.1:1: connect: connection refused)',
    );
  });

  test('ConfigMalformed=True is not ready', () => {
    const malformed = {
      type: 'ConfigMalformed',
      status: 'True',
      reason: 'ClusterConfigMalformed',
      message: "cluster's configuration may be malformed",
    };
    expect(kubeFedVerdict({ metadata: created(60), status: { conditions: [malformed] } }, now)).toMatch(
      /^KubeFed reports it ConfigMalformed \(ClusterConfigMalformed/,
    );
  });

  test('Ready=False is not ready', () => {
    const conditions = [
      { type: 'Ready', status: 'False', reason: 'ClusterNotReady', message: '/healthz responded without ok' },
      { type: 'Offline', status: 'False' },
    ];
    expect(kubeFedVerdict({ metadata: created(60), status: { conditions } }, now)).toBe(
      'KubeFed reports it not Ready (ClusterNotReady: /healthz responded without ok)',
    );
  });

  test('no condition: not checked yet within one health-check period, a failure after it', () => {
    expect(kubeFedVerdict({ metadata: created(5) }, now)).toBe('KubeFed has not checked it yet');
    expect(kubeFedVerdict({ metadata: created(45) }, now)).toMatch(
      /^KubeFed has reported no Ready condition for it in 45s/,
    );
  });
});
