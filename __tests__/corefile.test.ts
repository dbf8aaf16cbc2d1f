// Unit tests of the Corefile merge (pure): the federation's server block is added, replaced and
// removed without touching the rest; a Corefile CoreDNS would refuse is never produced.
import { describe, expect, test } from '@jest/globals';
import { serverBlock, withFederationBlock, withoutFederationBlock } from '../src/plan/corefile.js';

const KUBEADM = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
const block = { federation: 'fellowship', zone: 'example.com.', forwardTo: ['10.0.0.53:53'] };
const merged = (corefile: string) => {
  const plan = withFederationBlock(corefile, block);
  if (!('corefile' in plan)) throw new Error(`no merge: ${JSON.stringify(plan)}`);
  return plan.corefile;
};

describe('the federation server block of a Corefile', () => {
  test('rewrites <svc>.<ns>.<fed>.svc.cluster.local to the federation zone and forwards it, on the Corefile\u2019s own port', () => {
    expect(serverBlock(block, '53')).toBe(
      [
        'fellowship.svc.cluster.local:53 {',
        '    errors',
        '    rewrite stop {',
        '        name suffix .fellowship.svc.cluster.local. .fellowship.svc.example.com. answer auto',
        '    }',
        '    forward . 10.0.0.53:53',
        '}',
      ].join('\n'),
    );
    expect(merged(KUBEADM.replace('.:53', '.:1053'))).toContain('fellowship.svc.cluster.local:1053 {');
  });

  test('is appended after the rest, which stays byte for byte, and is removed leaving the original', () => {
    for (const original of [KUBEADM, KUBEADM.trimEnd(), '.:53 {}']) {
      const joined = merged(original);
      expect(joined.startsWith(original)).toBe(true);
      expect(withFederationBlock(joined, block)).toEqual({ unchanged: true });
      expect(withoutFederationBlock(joined, 'fellowship')).toEqual({ corefile: original });
    }
    expect(withoutFederationBlock(KUBEADM, 'fellowship')).toEqual({ unchanged: true });
  });

  test('is replaced in place when its settings change, and other federations\u2019 blocks stay', () => {
    const both = withFederationBlock(merged(KUBEADM), { ...block, federation: 'mordor', zone: 'evil.org.' });
    if (!('corefile' in both)) throw new Error('mordor not merged');
    const moved = withFederationBlock(both.corefile, { ...block, forwardTo: ['10.0.0.54:53'] });
    if (!('corefile' in moved)) throw new Error('not replaced');
    expect(moved.corefile).toContain('forward . 10.0.0.54:53');
    expect(moved.corefile.split('forward . 10.0.0.53:53')).toHaveLength(2); // mordor's alone
    expect(moved.corefile.indexOf('fellowship.svc')).toBeLessThan(moved.corefile.indexOf('mordor.svc'));
    const left = withoutFederationBlock(moved.corefile, 'fellowship');
    expect(left).toEqual(withoutFederationBlock(both.corefile, 'fellowship'));
    expect(withoutFederationBlock((left as { corefile: string }).corefile, 'mordor')).toEqual({ corefile: KUBEADM });
  });

  test('is refused when the Corefile already serves that zone itself (CoreDNS would not start)', () => {
    const plan = withFederationBlock(`${KUBEADM}fellowship.svc.cluster.local:53 {\n    forward . 1.1.1.1\n}\n`, block);
    expect(plan).toEqual({
      refused: expect.stringMatching(/already has a server block for fellowship\.svc\.cluster\.local/),
    });
  });
});
