import { describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import { KubeconfigError, forContext, loadKubeconfig } from '../src/inputs/kubeconfig.js';

function kubeconfig(name: string, token: string): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: `https://${name}.example:6443`,
          'certificate-authority-data': Buffer.from(`CA of ${name}`).toString('base64'),
        },
      },
    ],
    users: [{ name: `${name}-user`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-user` } }],
    'current-context': name,
  });
}

describe('loadKubeconfig', () => {
  test('YAML, with every credential collected for masking', () => {
    const { config, secrets } = loadKubeconfig(kubeconfig('rivendell', 'elrond-secret-token'));
    expect(config.getContexts().map((c) => c.name)).toEqual(['rivendell']);
    expect(secrets).toEqual(expect.arrayContaining(['elrond-secret-token', 'CA of rivendell']));
  });

  test('base64, several blobs merged, each blob masked', () => {
    const blobs = [kubeconfig('rivendell', 't1-secret'), kubeconfig('gondor', 't2-secret')].map((k) =>
      Buffer.from(k).toString('base64'),
    );
    const { config, secrets } = loadKubeconfig(blobs.join('\n'));
    expect(
      config
        .getContexts()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['gondor', 'rivendell']);
    expect(secrets).toEqual(expect.arrayContaining([...blobs, 't1-secret', 't2-secret']));
  });

  test.each([
    ['base64 (76 columns)', 76],
    ['openssl base64 (64 columns)', 64],
  ])('wrapped base64 as %s, several separated by a blank line or ---', (_tool, width) => {
    const wrap = (k: string) =>
      Buffer.from(k)
        .toString('base64')
        .match(new RegExp(`.{1,${width}}`, 'g'))
        ?.join('\n') ?? '';
    const one = wrap(kubeconfig('rivendell', 't1-secret'));
    expect(one.split('\n').length).toBeGreaterThan(3);
    expect(
      loadKubeconfig(`${one}\n`)
        .config.getContexts()
        .map((c) => c.name),
    ).toEqual(['rivendell']);
    for (const separator of ['\n\n', '\n---\n']) {
      const { config, secrets } = loadKubeconfig(`${one}${separator}${wrap(kubeconfig('gondor', 't2-secret'))}`);
      expect(
        config
          .getContexts()
          .map((c) => c.name)
          .sort(),
      ).toEqual(['gondor', 'rivendell']);
      expect(secrets).toEqual(expect.arrayContaining(['t1-secret', 't2-secret', ...one.split('\n')]));
    }
  });

  test.each([
    ['clusters: 5', 'kubeconfig: document 1: "clusters" must be a list of entries with a name and a "cluster" mapping'],
    [
      'apiVersion: v1\nusers: [null]',
      'kubeconfig: document 1: "users" must be a list of entries with a name and a "user" mapping',
    ],
    [
      'apiVersion: v1\ncontexts:\n- name: x\n  context: [1, 2]',
      'kubeconfig: document 1: "contexts" must be a list of entries with a name and a "context" mapping',
    ],
    [
      'apiVersion: v1\nclusters:\n- cluster: {server: https://x}',
      'kubeconfig: document 1: "clusters" must be a list of entries with a name',
    ],
    ['apiVersion: v1\n---\n[1]', 'kubeconfig: document 2: is not a mapping'],
  ])('a malformed structure names the input and the problem: %j', (input, message) => {
    expect(() => loadKubeconfig(input)).toThrow(KubeconfigError);
    expect(() => loadKubeconfig(input)).toThrow(message);
  });

  test('exec plugin args and env, and a password in a server URL, are masked too', () => {
    const text = yaml.dump({
      apiVersion: 'v1',
      clusters: [{ name: 'c', cluster: { server: 'https://admin:s3cr%40t-pass@c.example:6443' } }],
      users: [
        {
          name: 'u',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: 'get-token',
              args: ['--token=arg-secret-value', 'plain-arg'],
              env: [{ name: 'T', value: 'env-secret-value' }],
            },
          },
        },
      ],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    });
    const { secrets } = loadKubeconfig(text);
    expect(secrets).toEqual(
      expect.arrayContaining([
        '--token=arg-secret-value',
        'arg-secret-value',
        'env-secret-value',
        's3cr%40t-pass',
        's3cr@t-pass',
      ]),
    );
  });

  test('several YAML documents merged', () => {
    const { config } = loadKubeconfig(`${kubeconfig('rivendell', 'a-token')}---\n${kubeconfig('noldor', 'b-token')}`);
    expect(
      config
        .getContexts()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['noldor', 'rivendell']);
  });

  test("each field reads as the client's own loadFromString reads it (the document is not parsed again)", () => {
    const text = yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'lorien',
          cluster: {
            server: 'https://lorien.example:6443/',
            'certificate-authority': '/etc/lorien/ca.crt',
            'insecure-skip-tls-verify': true,
            'tls-server-name': 'api.lorien',
            'proxy-url': 'http://proxy.example:3128',
          },
        },
      ],
      users: [
        {
          name: 'galadriel',
          user: { 'client-certificate': '/c.crt', 'client-key': '/c.key', username: 'g', password: 'p' },
        },
        {
          name: 'celeborn',
          user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'token', args: ['--x'], env: null } },
        },
      ],
      contexts: [
        { name: 'lorien', context: { cluster: 'lorien', user: 'galadriel', namespace: 'caras' } },
        { name: 'galadhon', context: { cluster: 'lorien', user: 'celeborn' } },
      ],
      'current-context': 'galadhon',
    });
    const client = new KubeConfig();
    client.loadFromString(text);
    const { config } = loadKubeconfig(text);
    expect(config.getClusters()).toEqual(client.getClusters());
    expect(config.getUsers()).toEqual(client.getUsers());
    expect(config.getContexts()).toEqual(client.getContexts());
    expect(config.getCurrentContext()).toBe('galadhon');
  });

  test('invalid input is refused without echoing it', () => {
    expect(() => loadKubeconfig('')).toThrow('kubeconfig: is required');
    expect(() => loadKubeconfig('bm90IGEga3ViZWNvbmZpZw==')).toThrow(
      'kubeconfig: part 1 is neither kubeconfig YAML nor base64 of it',
    );
    let message = '';
    try {
      loadKubeconfig('apiVersion: v1\nusers: [ { token: super-secret-value\n');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^kubeconfig: invalid YAML at line \d+/);
    expect(message).not.toContain('super-secret-value');
  });

  test('an unknown context names the contexts that exist', () => {
    const { config } = loadKubeconfig(`${kubeconfig('rivendell', 'a-token')}---\n${kubeconfig('noldor', 'b-token')}`);
    expect(forContext(config, 'noldor').getCurrentCluster()?.server).toBe('https://noldor.example:6443');
    expect(() => forContext(config, 'mordor')).toThrow(KubeconfigError);
    expect(() => forContext(config, 'mordor')).toThrow(
      'host-cluster-context: context "mordor" is not in the kubeconfig; it has "rivendell", "noldor"',
    );
  });
});
