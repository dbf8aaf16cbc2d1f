// Unit tests of the provider config → external-dns settings (pure, files injected).
import { describe, expect, test } from '@jest/globals';
import { dnsSettings, upstreamProblem, withoutFileKeys } from '../src/inputs/dns-provider.js';

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
      'dns-provider-config: coredns-endpoints: "a b" is not an IP address with an optional port ' +
        "(CoreDNS's forward takes no host names; IPv6 with a port as [address]:port)",
      'dns-provider-config: etcd-ca-file: "/missing" is not a readable file',
    ]);
  });

  test("coredns-endpoints: what CoreDNS's forward takes, and nothing else, each bad value named", () => {
    const accepted = [
      '10.0.0.53',
      '10.0.0.53:53',
      '10.0.0.53:65535',
      'dns://10.0.0.53:5353',
      'tls://10.0.0.53',
      'tls://[fd00::53]:853',
      'fd00::53',
      '[fd00::53]:53',
      'fe80::53%eth0',
      '[fe80::53%eth0]:53',
    ];
    for (const server of accepted) expect([server, upstreamProblem(server)]).toEqual([server, undefined]);
    const refused: [string, RegExp][] = [
      ['dns.example.com', /not an IP address/],
      ['dns.example.com:53', /not an IP address/],
      ['10.0.0.53:65536', /port "65536", not a number from 1 to 65535/],
      ['10.0.0.53:99999999', /port/],
      ['10.0.0.53:0', /port/],
      ['10.0.0.53:', /port/],
      ['10.0.0.53:dns', /port/],
      ['[fd00::53]', /not an IP address/],
      ['https://10.0.0.53', /https:\/\/, which CoreDNS's forward does not take/],
      ['grpc://10.0.0.53', /grpc:\/\//],
      ['quic://10.0.0.53', /quic:\/\//],
      ['DNS://10.0.0.53', /not an IP address/],
      ['/etc/resolv.conf', /not an IP address/],
      ['fe80::53%}', /zone/],
      ['010.0.0.53', /not an IP address/],
    ];
    for (const [server, why] of refused)
      expect([server, upstreamProblem(server)]).toEqual([server, expect.stringMatching(why)]);
    const problems: string[] = [];
    const sixteen = Array.from({ length: 16 }, (_, i) => `10.0.0.${i + 1}`).join(', ');
    dnsSettings('coredns', `[Global]\ncoredns-endpoints = ${sixteen}, 10.0.0.53:70000\n`, read({}), problems);
    expect(problems).toEqual([
      'dns-provider-config: coredns-endpoints: "10.0.0.53:70000" has the port "70000", not a number from 1 to 65535',
      "dns-provider-config: coredns-endpoints: 17 servers; CoreDNS's forward takes at most 15",
    ]);
    const fifteen = Array.from({ length: 15 }, (_, i) => `10.0.0.${i + 1}`).join(',');
    expect(
      dnsSettings('coredns', `[Global]\ncoredns-endpoints = ${fifteen}\n`, read({}), problems).forwardTo,
    ).toHaveLength(15);
    expect(problems).toHaveLength(2);
  });
});
