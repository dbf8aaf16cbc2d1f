import { describe, expect, test } from '@jest/globals';
import * as yaml from 'js-yaml';
import { KubeconfigError, forContext, loadKubeconfig } from '../src/kubeconfig.js';

function kubeconfig(name: string, token: string): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: `https://${name}.example:6443`, 'certificate-authority-data': Buffer.from(`CA of ${name}`).toString('base64') } }],
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
    const blobs = [kubeconfig('rivendell', 't1-secret'), kubeconfig('gondor', 't2-secret')].map((k) => Buffer.from(k).toString('base64'));
    const { config, secrets } = loadKubeconfig(blobs.join('\n'));
    expect(config.getContexts().map((c) => c.name).sort()).toEqual(['gondor', 'rivendell']);
    expect(secrets).toEqual(expect.arrayContaining([...blobs, 't1-secret', 't2-secret']));
  });

  test('several YAML documents merged', () => {
    const { config } = loadKubeconfig(`${kubeconfig('rivendell', 'a-token')}---\n${kubeconfig('noldor', 'b-token')}`);
    expect(config.getContexts().map((c) => c.name).sort()).toEqual(['noldor', 'rivendell']);
  });

  test('invalid input is refused without echoing it', () => {
    expect(() => loadKubeconfig('')).toThrow('kubeconfig: is required');
    expect(() => loadKubeconfig('bm90IGEga3ViZWNvbmZpZw==')).toThrow('kubeconfig: part 1 is neither kubeconfig YAML nor base64 of it');
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
    expect(() => forContext(config, 'mordor')).toThrow('host-cluster-context: context "mordor" is not in the kubeconfig; it has "rivendell", "noldor"');
  });
});
