// Unit tests of the provider config → external-dns settings (pure, files injected).
import { describe, expect, test } from '@jest/globals';
import { dnsSettings, withoutFileKeys } from '../src/inputs/dns-provider.js';

const read = (files: Record<string, string>) => (path: string) => {
  if (!(path in files)) throw new Error('ENOENT');
  return files[path];
};

describe('dns-provider-config', () => {
  test('coredns: etcd endpoints for external-dns, CoreDNS endpoints for the members, TLS files carried', () => {
    const problems: string[] = [];
    const config =
      '[Global]\netcd-endpoints = https://etcd-0:2379, https://etcd-1:2379\nzones = example.com.\ncoredns-endpoints = 10.0.0.53:53\netcd-ca-file = /ca.pem\netcd-cert-file = /c.pem\netcd-key-file = /k.pem\n';
    const settings = dnsSettings(
      'coredns',
      config,
      read({ '/ca.pem': 'CA', '/c.pem': 'CERT', '/k.pem': 'KEY' }),
      problems,
    );
    expect(problems).toEqual([]);
    expect(settings).toEqual({
      externalDnsProvider: 'coredns',
      args: [],
      env: {
        ETCD_URLS: 'https://etcd-0:2379,https://etcd-1:2379',
        ETCD_CA_FILE: '/etc/kubefed-dns/provider/etcd-ca.crt',
        ETCD_CERT_FILE: '/etc/kubefed-dns/provider/etcd-client.crt',
        ETCD_KEY_FILE: '/etc/kubefed-dns/provider/etcd-client.key',
      },
      files: { 'etcd-ca.crt': 'CA', 'etcd-client.crt': 'CERT', 'etcd-client.key': 'KEY' },
      forwardTo: ['10.0.0.53:53'],
    });
    expect(withoutFileKeys(config)).not.toMatch(/-file/);
    expect(withoutFileKeys(config)).toContain('coredns-endpoints = 10.0.0.53:53');
  });

  test('google-clouddns: the project; aws-route53: the provider alone; members forward to their own resolvers', () => {
    expect(dnsSettings('google-clouddns', '[Global]\nproject-id = middle-earth\n', read({}), [])).toMatchObject({
      externalDnsProvider: 'google',
      args: ['--google-project=middle-earth'],
      forwardTo: ['/etc/resolv.conf'],
    });
    expect(dnsSettings('aws-route53', undefined, read({}), [])).toEqual({
      externalDnsProvider: 'aws',
      args: [],
      env: {},
      files: {},
      forwardTo: ['/etc/resolv.conf'],
    });
  });

  test('bad values are named', () => {
    const problems: string[] = [];
    dnsSettings(
      'coredns',
      '[Global]\netcd-endpoints = etcd:2379\ncoredns-endpoints = a b\netcd-ca-file = /missing\n',
      read({}),
      problems,
    );
    expect(problems).toEqual([
      'dns-provider-config: etcd-endpoints: "etcd:2379" is not an http:// or https:// URL',
      'dns-provider-config: coredns-endpoints: "a b" is not a host[:port]',
      'dns-provider-config: etcd-ca-file: "/missing" is not a readable file',
    ]);
  });
});
