// Each container of the control plane reaches only its own credentials: the private keys and
// secret files it can read, through the Secret volumes it mounts (and the kubeconfigs in them),
// are exactly those of its own identity.
import { describe, expect, test } from '@jest/globals';
import * as x509 from '@peculiar/x509';
import * as yaml from 'js-yaml';
import { FILES, SECRET_FILES, ensureCredentials } from '../src/desired/credentials.js';
import { hostObjects } from '../src/desired/host-objects.js';
import { type KubeObject, fromBase64 } from '../src/desired/objects.js';
import { parseSpec } from '../src/inputs/spec.js';

const spec = (inputs: Record<string, string> = {}) => {
  const all: Record<string, string> = {
    'federation-name': 'fellowship',
    'host-cluster-context': 'rivendell',
    'dns-provider': 'coredns',
    'dns-zone-name': 'example.com.',
    'dns-provider-config': '[Global]\netcd-endpoints = http://etcd:2379\n',
    ...inputs,
  };
  return parseSpec((n) => all[n] ?? '', { readFile: () => '' });
};

async function credentials(tokenAuth = false) {
  const { files } = await ensureCredentials(
    {},
    { federationName: 'fellowship', sans: ['a'], webhookSans: ['b'], tokenAuth, basicAuth: false, now: new Date() },
  );
  return files;
}

interface Container {
  name: string;
  volumeMounts?: { name: string }[];
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string }[] };
}

/** Every file a container can read from Secrets, with the kubeconfigs' embedded keys unpacked. */
function readable(objects: KubeObject[], pod: { containers: Container[]; volumes: Volume[] }, container: Container) {
  const secrets = new Map(objects.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, o]));
  return (container.volumeMounts ?? []).flatMap(({ name }) => {
    const source = pod.volumes.find((v) => v.name === name)?.secret;
    if (!source) return [];
    const data = (secrets.get(source.secretName)?.data ?? {}) as Record<string, string>;
    const keys = source.items ? source.items.map((i) => i.key) : Object.keys(data);
    return keys.flatMap((key) => {
      const text = fromBase64(data[key]) ?? '';
      const config = /^kind: Config$/m.test(text)
        ? (yaml.load(text) as { users: { user: Record<string, string> }[] })
        : undefined;
      return config ? config.users.map((u) => fromBase64(u.user['client-key-data']) ?? '') : [text];
    });
  });
}

/** The credentials files (by name) among what a container reads. */
function secretFilesOf(files: Record<string, string>, contents: string[]): string[] {
  return SECRET_FILES.filter((f) => files[f] !== undefined && contents.includes(files[f])).sort();
}

/** "<deployment>/<container>" → the secret files it reaches. */
function reach(files: Record<string, string>, objects: KubeObject[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const pod = (d.spec as { template: { spec: { containers: Container[]; volumes: Volume[] } } }).template.spec;
    for (const c of pod.containers)
      out[`${d.metadata.name}/${c.name}`] = secretFilesOf(files, readable(objects, pod, c));
  }
  return out;
}

describe('each container mounts only its own credentials', () => {
  test('the private keys and secret files each container can read are its own', async () => {
    const files = await credentials();
    const objects = hostObjects({ spec: spec(), credentials: files, address: '10.0.0.1' });
    expect(reach(files, objects)).toEqual({
      'fellowship-apiserver/apiserver': [FILES.serverKey, FILES.serviceAccountKey].sort(),
      'fellowship-apiserver/etcd': [],
      'fellowship-controller-manager/controller-manager': [FILES.controllerManagerKey],
      'fellowship-controller-manager/kube-controller-manager': [FILES.kubeControllerManagerKey],
      'fellowship-webhook/admission-webhook': [FILES.webhookKey, FILES.webhookClientKey].sort(),
      'fellowship-dns-controller/dns-controller': [FILES.dnsKey],
      'fellowship-external-dns/external-dns': [FILES.externalDnsKey],
    });
  });

  test('the API server reads the token file when token auth is on, and never the CA or admin key', async () => {
    const files = await credentials(true);
    const objects = hostObjects({
      spec: spec({ 'apiserver-enable-token-auth': 'true' }),
      credentials: files,
      address: '10.0.0.1',
    });
    expect(reach(files, objects)['fellowship-apiserver/apiserver']).toEqual(
      [FILES.serverKey, FILES.serviceAccountKey, FILES.tokens].sort(),
    );
    for (const files_ of Object.values(reach(files, objects))) {
      expect(files_).not.toContain(FILES.caKey);
      expect(files_).not.toContain(FILES.adminKey);
    }
  });

  test("each kubeconfig Secret is one identity's, the one its name says", async () => {
    const files = await credentials();
    const objects = hostObjects({ spec: spec(), credentials: files, address: '10.0.0.1' });
    const identityIn = (name: string) => {
      const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
      const data = secret?.data as Record<string, string>;
      expect(Object.keys(data)).toEqual(['kubeconfig']);
      const config = yaml.load(fromBase64(data.kubeconfig) ?? '') as { users: { user: Record<string, string> }[] };
      return config.users.map((u) => new x509.X509Certificate(fromBase64(u.user['client-certificate-data'])!).subject);
    };
    expect(identityIn('fellowship-controller-manager-kubeconfig')).toEqual([
      'CN=kubefed-action:fellowship:controller-manager',
    ]);
    expect(identityIn('fellowship-kube-controller-manager-kubeconfig')).toEqual(['CN=system:kube-controller-manager']);
    expect(identityIn('fellowship-webhook-kubeconfig')).toEqual(['CN=kubefed-action:fellowship:webhook']);
    expect(identityIn('fellowship-dns-kubeconfig')).toEqual(['CN=kubefed-action:fellowship:dns']);
    expect(identityIn('fellowship-external-dns-kubeconfig')).toEqual(['CN=kubefed-action:fellowship:external-dns']);
  });

  test('no Pod gets a ServiceAccount token', async () => {
    const objects = hostObjects({ spec: spec(), credentials: await credentials(), address: '10.0.0.1' });
    const pods = objects
      .filter((o) => o.kind === 'Deployment')
      .map((d) => (d.spec as { template: { spec: Record<string, unknown> } }).template.spec);
    expect(pods.length).toBe(5);
    for (const pod of pods) expect(pod.automountServiceAccountToken).toBe(false);
  });
});
