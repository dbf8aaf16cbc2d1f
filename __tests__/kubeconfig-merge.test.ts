// Unit tests of what the CLI writes to the user's kubeconfig, and of its version.
import { describe, expect, test } from '@jest/globals';
import * as yaml from 'js-yaml';
import { readFileSync } from 'node:fs';
import { mergeKubeconfigText } from '../src/inputs/kubeconfig.js';
import { VERSION } from '../src/inputs/version.js';

const entry = (name: string, extra: object = {}) => ({ name, ...extra });

describe('kubefed init adds the federation context to the kubeconfig', () => {
  const base = yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'rivendell',
    preferences: { colors: true },
    clusters: [
      entry('rivendell', { cluster: { server: 'https://a' } }),
      entry('fellowship', { cluster: { server: 'https://old' } }),
    ],
    users: [entry('rivendell-admin', { user: { token: 't' } })],
    contexts: [entry('rivendell', { context: { cluster: 'rivendell', user: 'rivendell-admin' } })],
  });
  const added = yaml.dump({
    clusters: [entry('fellowship', { cluster: { server: 'https://new' } })],
    users: [entry('fellowship-admin', { user: { 'client-key-data': 'k' } })],
    contexts: [entry('fellowship', { context: { cluster: 'fellowship', user: 'fellowship-admin' } })],
    'current-context': 'fellowship',
  });

  test('replaces entries of the same name, adds the others, and keeps everything else', () => {
    const merged = yaml.load(mergeKubeconfigText(base, added)) as Record<
      string,
      { name: string; cluster?: { server: string } }[]
    > & { 'current-context': string; preferences: object };
    expect(merged['current-context']).toBe('rivendell');
    expect(merged.preferences).toEqual({ colors: true });
    expect(merged.clusters.map((c) => `${c.name} ${c.cluster?.server}`)).toEqual([
      'rivendell https://a',
      'fellowship https://new',
    ]);
    expect(merged.users.map((u) => u.name)).toEqual(['rivendell-admin', 'fellowship-admin']);
    expect(merged.contexts.map((c) => c.name)).toEqual(['rivendell', 'fellowship']);
  });

  test('an empty or missing kubeconfig becomes a new one', () => {
    const merged = yaml.load(mergeKubeconfigText('', added)) as Record<string, unknown>;
    expect(merged).toMatchObject({
      apiVersion: 'v1',
      kind: 'Config',
      contexts: [expect.objectContaining({ name: 'fellowship' })],
    });
  });
});

test('kubefed version is the package version', () => {
  expect(VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
});
