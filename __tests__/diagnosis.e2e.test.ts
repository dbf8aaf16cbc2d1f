// When a part of the control plane does not run, the action says why from its Pods, names the
// input that fixes it, and (with wait on) fails the step; a host whose etcd claim could get no
// volume is an input error before anything is written. The assertions hold for testenv's
// kubelet and for a real one: both report the image in what they say of a container that
// cannot get it, and both report a crash loop's restarts and exit code the same way.
import { afterAll, describe, expect, test } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from './helpers/action.js';
import { auditMark, clientFor, get, kubeconfigText, testenv } from './helpers/testenv.js';

const NS = 'fed-diagnosis';
const FED = 'moria';
const DNS_PART = `| DNS | ${FED}-dns-controller, ${FED}-external-dns | ❌ not available |`;
const inputs = (extra: Record<string, string> = {}) => ({
  kubeconfig: kubeconfigText(),
  'federation-name': FED,
  'host-cluster-context': 'rivendell',
  'federation-system-namespace': NS,
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
  'dns-provider-config': `[Global]\netcd-endpoints = ${testenv().etcd}\nzones = example.com.`,
  // Each wait (the federation API's, then the health's) within the test helper's 170s per run.
  timeout: '75s',
  ...extra,
});

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

/** Sets (or, with null, removes) the default-class annotation of testenv's StorageClass "standard". */
async function markDefault(value: string | null) {
  await clientFor('rivendell').patch(
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'standard', annotations: { [DEFAULT_CLASS]: value } },
    } as unknown as KubernetesObject,
    undefined,
    undefined,
    undefined,
    undefined,
    'application/merge-patch+json' as never,
  );
}

describe('diagnosis', () => {
  afterAll(() => {
    expect(runAction(inputs({ mode: 'destroy', wait: 'false' })).status).toBe(0);
  });

  test('a host with no default StorageClass: an input error naming both ways out, nothing written, in members neither', async () => {
    const standard = await get(clientFor('rivendell'), 'storage.k8s.io/v1', 'StorageClass', 'standard');
    expect(standard?.metadata?.annotations?.[DEFAULT_CLASS]).toBe('true');
    await markDefault(null);
    try {
      const mark = auditMark();
      // A member's side of its join waits for the host's input checks: no write there either.
      const run = runAction(inputs({ clusters: '- name: noldor\n' }));
      expect(run.status).toBe(1);
      expect(run.log).toContain(
        'etcd-pv-storage-class: the host cluster has no default StorageClass (its classes: standard), so the etcd ' +
          'claim would stay Pending; set etcd-pv-storage-class: <one of standard>, or etcd-persistent-storage: false',
      );
      expect(mark().total).toBe(0);
      expect(await get(clientFor('rivendell'), 'v1', 'Namespace', NS)).toBeUndefined();
    } finally {
      await markDefault('true');
    }
  });

  // The project's image (the DNS controller's) and external-dns's: KubeFed never waits on DNS.
  test.each([
    ['dns-controller-image', 'dns-controller'],
    ['external-dns-image', 'external-dns'],
  ])(
    '%s naming an image no node can get: the rest runs, the step fails naming the image and its input',
    (input, part) => {
      const image = `registry.invalid/nobody/${part}:v0`;
      const run = runAction(inputs({ [input]: image }));
      expect(run.status).toBe(1);
      expect(run.outputs.healthy).toBe('false');
      const why =
        `deployment ${NS}/${FED}-${part} is not available: pod ${FED}-${part}-[a-z0-9]+-[a-z0-9]+: ` +
        `container "${part}" cannot get image "${image}": (ErrImagePull|ImagePullBackOff)[^\\n]*\\(input \`${input}\`\\)`;
      // While waiting, and at the end (an annotation, and the summary).
      expect(run.log).toMatch(new RegExp(`waiting for the federation and its members to be ready: .*${why}`));
      expect(run.log).toMatch(new RegExp(`::error::${why}`));
      expect(run.summary).toMatch(new RegExp(`⚠️ ${why}`));
      // KubeFed's availability does not depend on DNS.
      expect(run.summary).toContain(`| API server | ${FED}-apiserver | ✅ available |`);
      expect(run.summary).toContain(`| controller manager | ${FED}-controller-manager | ✅ available |`);
      expect(run.summary).toContain(`| webhook | ${FED}-webhook | ✅ available |`);
      expect(run.summary).toContain(DNS_PART);

      // check says the same, and a re-run changes nothing: neither writes.
      const mark = auditMark();
      const check = runAction(inputs({ [input]: image, mode: 'check' }));
      expect(check.status).toBe(1);
      expect(check.log).toMatch(new RegExp(`::error::${why}`));
      const rerun = runAction(inputs({ [input]: image, timeout: '20s' }));
      expect(rerun.status).toBe(1);
      expect(rerun.outputs.changed).toBe('false');
      expect(mark().total).toBe(0);
    },
  );

  test('external-dns in a crash loop is noticed: restarts, exit code and reason, the inputs that shape it', () => {
    // A CA file whose one certificate does not parse: external-dns's CoreDNS provider fails to build
    // its etcd client and exits as it starts, on any machine (a cloud provider without credentials
    // would not: on a cloud VM its metadata server hands them out).
    const ca = join(mkdtempSync(join(tmpdir(), 'kubefed-diagnosis-')), 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    const config = `[Global]\netcd-endpoints = https://127.0.0.1:2379\netcd-ca-file = ${ca}\nzones = example.com.`;
    const run = runAction(inputs({ 'dns-provider-config': config, timeout: '60s' }));
    expect(run.status).toBe(1);
    expect(run.log).toMatch(
      new RegExp(
        `::error::deployment ${NS}/${FED}-external-dns (is not available|keeps restarting): pod \\S+: ` +
          'container "external-dns" is crash-looping \\(\\d+ restarts?, last exit code 1 \\(Error\\)[^)]*\\) ' +
          '\\(inputs `external-dns-image`, `dns-provider`, `dns-provider-config`\\); its previous log ',
      ),
    );
    expect(run.summary).toContain(DNS_PART);
  });
});
