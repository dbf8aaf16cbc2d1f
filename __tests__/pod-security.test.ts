// Every Pod the action deploys is admitted under Pod Security "restricted", as the Kubernetes
// Pod Security admission itself decides it: each Deployment's Pod template is created (server-side
// dry run) in a namespace of testenv's host cluster that enforces "restricted" at the version
// the action's own namespace names.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { POD_SECURITY_LABELS } from '../src/desired/control-plane.js';
import { ensureCredentials } from '../src/desired/credentials.js';
import { hostObjects } from '../src/desired/host-objects.js';
import type { KubeObject } from '../src/desired/objects.js';
import { parseSpec } from '../src/inputs/spec.js';
import { clientFor, exists } from './helpers/testenv.js';

const NAMESPACE = 'pod-security-restricted';
const host = () => clientFor('rivendell');

const VARIANTS: Record<string, Record<string, string>> = {
  'coredns, persistent etcd': {
    'dns-provider': 'coredns',
    'dns-provider-config': '[Global]\netcd-endpoints = http://etcd:2379\n',
  },
  'google-clouddns, etcd on an emptyDir, token auth': {
    'dns-provider': 'google-clouddns',
    'dns-provider-config': '[Global]\nproject-id = middle-earth\n',
    'etcd-persistent-storage': 'false',
    'apiserver-enable-token-auth': 'true',
  },
  'aws-route53': { 'dns-provider': 'aws-route53' },
};

async function deployments(inputs: Record<string, string>): Promise<KubeObject[]> {
  const all: Record<string, string> = {
    'federation-name': 'fellowship',
    'host-cluster-context': 'rivendell',
    'federation-system-namespace': NAMESPACE,
    'dns-zone-name': 'example.com.',
    ...inputs,
  };
  const spec = parseSpec((n) => all[n] ?? '', { readFile: () => '' });
  const { files } = await ensureCredentials(
    {},
    {
      federationName: 'fellowship',
      sans: ['a'],
      webhookSans: ['b'],
      tokenAuth: true,
      basicAuth: false,
      now: new Date(),
    },
  );
  return hostObjects({ spec, credentials: files, address: '10.0.0.1' }).filter((o) => o.kind === 'Deployment');
}

/** A Pod of a Deployment's template, as its ReplicaSet would create it. */
function podOf(deployment: KubeObject, change: (spec: Record<string, unknown>) => object = (s) => s): KubernetesObject {
  const template = (deployment.spec as { template: { metadata: object; spec: Record<string, unknown> } }).template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, name: deployment.metadata.name, namespace: NAMESPACE },
    spec: change(template.spec),
  } as KubernetesObject;
}

/** Why the server refuses to create the Pod (dry run), or null when it admits it. */
async function refusal(pod: KubernetesObject): Promise<string | null> {
  try {
    await host().create(pod, undefined, 'All');
    return null;
  } catch (err) {
    const body = (err as { body?: string }).body;
    if (body === undefined) throw err;
    return (JSON.parse(body) as { message: string }).message;
  }
}

describe('Pod Security "restricted"', () => {
  beforeAll(async () => {
    await host().create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE, labels: { ...POD_SECURITY_LABELS } },
    } as KubernetesObject);
    // Pods name the namespace's default account; the host's controllers may not have made it yet.
    const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: NAMESPACE } };
    if (!(await exists(host(), 'v1', 'ServiceAccount', 'default', NAMESPACE))) await host().create(account);
  });

  afterAll(async () => {
    await host().delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  });

  test('the namespace enforces it: a Pod as the action deployed them before is refused', async () => {
    const [apiServer] = await deployments(VARIANTS['coredns, persistent etcd']);
    const bare = podOf(apiServer, (spec) => ({
      ...spec,
      securityContext: undefined,
      containers: (spec.containers as Record<string, unknown>[]).map((c) => ({ ...c, securityContext: undefined })),
    }));
    expect(await refusal(bare)).toMatch(/violates PodSecurity "restricted:v1\.34"/);
  });

  for (const [variant, inputs] of Object.entries(VARIANTS)) {
    test(`every Pod the action deploys is admitted (${variant})`, async () => {
      const all = await deployments(inputs);
      expect(all.map((d) => d.metadata.name).sort()).toEqual([
        'fellowship-apiserver',
        'fellowship-controller-manager',
        'fellowship-dns-controller',
        'fellowship-external-dns',
        'fellowship-webhook',
      ]);
      const refused = await Promise.all(all.map(async (d) => [d.metadata.name, await refusal(podOf(d))]));
      expect(refused.filter(([, why]) => why !== null)).toEqual([]);
    });
  }

  test('every container requests CPU and memory', async () => {
    for (const d of await deployments(VARIANTS['coredns, persistent etcd'])) {
      const containers = (podOf(d) as unknown as { spec: { containers: { name: string; resources?: object }[] } }).spec
        .containers;
      for (const c of containers) {
        expect({ [c.name]: c.resources }).toEqual({
          [c.name]: expect.objectContaining({ requests: { cpu: expect.any(String), memory: expect.any(String) } }),
        });
      }
    }
  });
});
