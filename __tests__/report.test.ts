// The report, pure: the verdict of each mode, the outputs (strings for the runner, typed for
// --output json), and a job summary that shows what a cluster said as text, never as markup.
import { describe, expect, test } from '@jest/globals';
import { parseSpec } from '../src/inputs/spec.js';
import { jsonReport, outputs } from '../src/report/outputs.js';
import { escapeCell, summaryMarkdown } from '../src/report/summary.js';
import { verdict } from '../src/report/verdict.js';
import { type RunResult, emptyResult, failedResult } from '../src/report/result.js';
import type { ObjectDelivery } from '../src/wait/delivery.js';

const spec = parseSpec(
  (n) =>
    ({
      'federation-name': 'fellowship',
      'host-cluster-context': 'rivendell',
      'dns-provider': 'coredns',
      'dns-zone-name': 'example.com.',
    })[n] ?? '',
  { readFile: () => '' },
);
const result = (extra: Partial<RunResult>): RunResult => ({ ...emptyResult('fellowship'), ...extra });

describe('summaryMarkdown', () => {
  test('HTML and Markdown from a cluster are escaped: no link, image or tag renders', () => {
    const hostile = 'forbidden: <img src=x onerror=alert(1)> <a href="https://evil.example">click</a> | cell\nnext';
    const md = summaryMarkdown(
      spec,
      result({
        errors: [`cluster "gondor": ${hostile}`],
        problems: [hostile],
        clusters: [
          { name: 'gondor', role: 'member', endpoint: 'https://127.0.0.1:6443', state: hostile, changes: '—' },
        ],
      }),
    );
    expect(md).not.toMatch(/(?<!\\)<(img|a )/);
    expect(md).toContain('\\<img src\\=x onerror\\=alert\\(1\\)\\>');
    expect(md).toContain('\\| cell next');
    expect(escapeCell('a & b')).toBe('a \\& b');
  });

  test('the federated objects not delivered are a table: each member and why, cluster text escaped', () => {
    const delivery: ObjectDelivery[] = [
      { object: 'FederatedDeployment/shop/web', judged: 'rollout' as const, delivered: true, clusters: {} },
      {
        object: 'FederatedDeployment/shop/[x](https://evil.example)',
        judged: 'rollout' as const,
        delivered: false,
        clusters: {
          gondor: { status: 'OK', reason: '2/2 available', delivered: true },
          noldor: { status: 'OK', reason: '1/2 available', delivered: false },
        },
      },
    ];
    const md = summaryMarkdown(spec, result({ delivery }));
    expect(md).toContain('Federated objects: 1/2 delivered; not delivered:');
    expect(md).toContain(
      '| FederatedDeployment\\/shop\\/\\[x\\]\\(https\\:\\/\\/evil\\.example\\) | noldor | OK | 1\\/2 available \\(rollout\\) |',
    );
    expect(md).not.toContain('| gondor |');
    expect(summaryMarkdown(spec, result({}))).not.toContain('Federated objects');
  });

  // CommonMark takes an ASCII punctuation character after a backslash literally: a cell in which
  // every one is escaped can make no link, image, autolink, emphasis, code span, tag or entity.
  const everyPunctuationEscaped = /^(?:[^!-/:-@[-`{-~\n]|\\[!-/:-@[-`{-~])*$/;

  test.each([
    '[Re-authenticate](https://attacker.example)',
    '![](https://attacker.example/p.png)',
    '<https://attacker.example> www.attacker.example admin@attacker.example',
    '`code` *em* _em_ ~~del~~ &amp; &#60;b&#62; [ref]: https://attacker.example "t"',
    '\\[escaped backslash](https://attacker.example)',
  ])('cluster text %j shows as text in every cell and line', (text) => {
    expect(escapeCell(text)).toMatch(everyPunctuationEscaped);
    const md = summaryMarkdown(
      spec,
      result({
        errors: [text],
        problems: [text],
        warnings: [text],
        federationEndpoint: text,
        clusters: [{ name: text, role: 'member', endpoint: text, state: text, changes: text }],
      }),
    );
    // Outside the Mermaid diagram, which renders no Markdown, the text appears escaped only.
    const markdown = md.slice(0, md.indexOf('```mermaid'));
    expect(markdown.split(text).length).toBe(1);
    expect(markdown.split(escapeCell(text)).length - 1).toBe(8);
    expect(markdown).not.toMatch(/\]\(|!\[|(?<!\\)</);
  });

  test('a run that stopped on an error does not claim that everything matched', () => {
    const md = summaryMarkdown(spec, failedResult('fellowship', [], 'host cluster (context "c"): cannot list'));
    expect(md).not.toContain('everything already matched');
    expect(md).toContain('- Nothing changed; not everything could be compared (see the errors below).');
    expect(summaryMarkdown(spec, result({ healthy: true }))).toContain('Nothing changed: everything already matched.');
  });

  test('a cluster whose TLS is not verified is flagged in its row', () => {
    const md = summaryMarkdown(
      spec,
      result({
        clusters: [
          {
            name: 'noldor',
            role: 'member',
            endpoint: 'https://noldor:6443',
            state: 'joined, ready',
            changes: '—',
            tlsUnverified: true,
          },
        ],
      }),
    );
    expect(md).toContain('| noldor | https\\:\\/\\/noldor\\:6443 ⚠️ TLS not verified | joined\\, ready | — |');
  });

  test('the control plane has a row per part, DNS among them, once its health was checked', () => {
    expect(summaryMarkdown(spec, result({}))).not.toContain('| control plane |');
    const md = summaryMarkdown(
      spec,
      result({
        controlPlane: [
          { part: 'API server', deployments: ['fellowship-apiserver'], state: 'available' },
          {
            part: 'DNS',
            deployments: ['fellowship-dns-controller', 'fellowship-external-dns'],
            state: 'not available',
          },
        ],
      }),
    );
    expect(md).toContain(
      '| control plane | deployments | state |\n| --- | --- | --- |\n' +
        '| API server | fellowship\\-apiserver | ✅ available |\n' +
        '| DNS | fellowship\\-dns\\-controller\\, fellowship\\-external\\-dns | ❌ not available |\n',
    );
  });
});

const withMode = (mode: string, extra: Record<string, string> = {}) =>
  parseSpec(
    (n) =>
      ({
        'federation-name': 'fellowship',
        'host-cluster-context': 'rivendell',
        'dns-provider': 'coredns',
        'dns-zone-name': 'example.com.',
        mode,
        ...extra,
      })[n] ?? '',
    { readFile: () => '' },
  );

const createSecret: RunResult['steps'][number] = {
  action: 'create',
  target: { kind: 'member', cluster: 'gondor' },
  object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'kube-system' } },
  reason: 'missing',
};

describe('verdict', () => {
  test('an error fails the step in every mode', () => {
    for (const mode of ['apply', 'plan', 'check', 'destroy']) {
      const v = verdict(withMode(mode), result({ healthy: true, errors: ['cluster "gondor": refused'] }));
      expect(v).toEqual({ failed: true, message: 'federation fellowship failed: cluster "gondor": refused' });
    }
  });

  test('ill health fails check, and apply when it waited; apply without wait and plan only report it', () => {
    const sick = result({ healthy: false, problems: ['cluster "gondor": Offline'] });
    expect(verdict(withMode('check'), sick)).toEqual({
      failed: true,
      message: 'federation fellowship is not healthy: cluster "gondor": Offline',
    });
    expect(verdict(withMode('apply'), sick).failed).toBe(true);
    const unwaited = verdict(withMode('apply', { wait: 'false' }), { ...sick, changed: true });
    expect(unwaited).toEqual({
      failed: false,
      message: 'federation fellowship converged (not healthy yet, not waited for: cluster "gondor": Offline)',
    });
    expect(verdict(withMode('plan'), { ...sick, steps: [createSecret] })).toEqual({
      failed: false,
      message: 'plan: 1 change(s)',
    });
  });

  test('each mode says what happened in one line', () => {
    const healthy = result({ healthy: true });
    expect(verdict(withMode('apply'), healthy).message).toBe('federation fellowship: nothing to change');
    expect(verdict(withMode('check'), { ...healthy, steps: [createSecret] }).message).toBe(
      'federation fellowship is healthy (1 object(s) differ from the inputs; run apply to converge)',
    );
    expect(verdict(withMode('destroy'), { ...healthy, changed: true }).message).toBe('federation fellowship destroyed');
    expect(verdict(withMode('destroy'), healthy).message).toBe('federation fellowship: nothing left to destroy');
  });
});

describe('outputs', () => {
  const joined = result({
    healthy: true,
    changed: true,
    steps: [createSecret],
    joined: ['gondor'],
    clusterEndpoints: { gondor: 'https://gondor:6443' },
    federationEndpoint: 'https://10.0.0.1:443',
  });

  test('every output is a string the runner takes; lists and maps as JSON', () => {
    expect(outputs(joined, '/tmp/kubeconfig')).toEqual({
      'joined-clusters': '["gondor"]',
      'unjoined-clusters': '[]',
      'federation-endpoint': 'https://10.0.0.1:443',
      'cluster-endpoints': '{"gondor":"https://gondor:6443"}',
      'federation-context': 'fellowship',
      kubeconfig: '/tmp/kubeconfig',
      healthy: 'true',
      changed: 'true',
      plan: JSON.stringify([
        {
          action: 'create',
          cluster: 'gondor',
          kind: 'Secret',
          namespace: 'kube-system',
          name: 'token',
          reason: 'missing',
        },
      ]),
      'retained-volume': '',
      propagation: '{}',
    });
    expect(outputs(result({}), undefined)).toMatchObject({ 'federation-endpoint': '', kubeconfig: '' });
    expect(outputs(result({ retainedVolume: 'pvc-1' }), undefined)['retained-volume']).toBe('pvc-1');
  });

  test('--output json holds the same values typed, with the verdict and the lists beside them', () => {
    const spec = withMode('apply');
    const json = jsonReport(spec, { ...joined, warnings: ['w'] }, '/tmp/kubeconfig', verdict(spec, joined));
    expect(json).toMatchObject({
      federation: 'fellowship',
      mode: 'apply',
      healthy: true,
      changed: true,
      failed: false,
      message: 'federation fellowship converged',
      'joined-clusters': ['gondor'],
      'cluster-endpoints': { gondor: 'https://gondor:6443' },
      'federation-endpoint': 'https://10.0.0.1:443',
      kubeconfig: '/tmp/kubeconfig',
      plan: [expect.objectContaining({ action: 'create', kind: 'Secret', cluster: 'gondor' })],
      warnings: ['w'],
    });
    expect(jsonReport(spec, result({}), undefined, verdict(spec, result({}))).kubeconfig).toBeNull();
  });
});
