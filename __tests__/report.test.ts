// The job summary shows what a cluster said as text, never as markup, and flags a connection
// whose TLS is not verified.
import { describe, expect, test } from '@jest/globals';
import { parseSpec } from '../src/inputs.js';
import { escapeCell, summaryMarkdown } from '../src/report.js';
import type { RunResult } from '../src/result.js';

const spec = parseSpec((n) => ({ 'federation-name': 'fellowship', 'host-cluster-context': 'rivendell', 'dns-provider': 'coredns', 'dns-zone-name': 'example.com.' })[n] ?? '', { readFile: () => '' });
const result = (extra: Partial<RunResult>): RunResult => ({
  steps: [], changed: false, federationContext: 'fellowship', healthy: false, problems: [], errors: [], warnings: [], issued: [], joined: [], unjoined: [], clusterEndpoints: {}, clusters: [], ...extra,
});

describe('summaryMarkdown', () => {
  test('HTML and Markdown from a cluster are escaped: no link, image or tag renders', () => {
    const hostile = 'forbidden: <img src=x onerror=alert(1)> <a href="https://evil.example">click</a> | cell\nnext';
    const md = summaryMarkdown(spec, result({
      errors: [`cluster "gondor": ${hostile}`],
      problems: [hostile],
      clusters: [{ name: 'gondor', role: 'member', endpoint: 'https://127.0.0.1:6443', state: hostile, changes: '—' }],
    }));
    expect(md).not.toMatch(/<img|<a /);
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(md).toContain('\\| cell next');
    expect(escapeCell('a & b')).toBe('a &amp; b');
  });

  test('a cluster whose TLS is not verified is flagged in its row', () => {
    const md = summaryMarkdown(spec, result({ clusters: [{ name: 'noldor', role: 'member', endpoint: 'https://noldor:6443', state: 'joined, ready', changes: '—', tlsUnverified: true }] }));
    expect(md).toContain('| noldor | https://noldor:6443 ⚠️ TLS not verified | joined, ready | — |');
  });
});
