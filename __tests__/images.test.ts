// The images whose default is derived: the DNS controller's (the running action's own) and
// kube-controller-manager's (the API server image's release, never its digest).
import { describe, expect, test } from '@jest/globals';
import { RELEASE_IMAGE } from '../src/inputs/images.js';
import { InputError, type InputDeps, parseSpec } from '../src/inputs/spec.js';
import { VERSION } from '../src/inputs/version.js';

const base: Record<string, string> = {
  'federation-name': 'fellowship',
  'host-cluster-context': 'rivendell',
  'dns-provider': 'coredns',
  'dns-zone-name': 'example.com.',
};

function parse(inputs: Record<string, string>, action?: InputDeps['action']) {
  const all = { ...base, ...inputs };
  return parseSpec((n) => all[n] ?? '', { readFile: () => '', action });
}

function problems(inputs: Record<string, string>, action?: InputDeps['action']): string[] {
  try {
    parse(inputs, action);
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('dns-controller-image', () => {
  test("run as an action: the image of the action's repository (lower-cased) at its ref", () => {
    expect(parse({}, { repository: 'Elrond/KubeFed-Action', ref: 'v1' }).dns.controllerImage).toBe(
      'ghcr.io/elrond/kubefed-action:v1',
    );
    expect(parse({}, { repository: 'kubefed-action/kubefed-action', ref: 'v0.1.0' }).dns.controllerImage).toBe(
      'ghcr.io/kubefed-action/kubefed-action:v0.1.0',
    );
  });

  test("elsewhere (the CLI, a local action): the release's own image, at package.json's version", () => {
    expect(RELEASE_IMAGE).toBe(`ghcr.io/kubefed-action/kubefed-action:v${VERSION}`);
    expect(parse({}).dns.controllerImage).toBe(RELEASE_IMAGE);
    expect(parse({}, { repository: '', ref: '' }).dns.controllerImage).toBe(RELEASE_IMAGE);
  });

  test('a ref that is no image tag is an input error naming the input; a given image wins', () => {
    expect(problems({}, { repository: 'elrond/kubefed-action', ref: 'feature/dns' })).toEqual([
      expect.stringMatching(/^dns-controller-image: the action runs at ref "feature\/dns" of elrond\/kubefed-action/),
    ]);
    expect(
      parse({ 'dns-controller-image': 'example.com/mine:1' }, { repository: 'a/b', ref: 'feature/dns' }).dns
        .controllerImage,
    ).toBe('example.com/mine:1');
  });
});

describe('kube-controller-manager-image', () => {
  const kcm = (inputs: Record<string, string>) => parse(inputs).kubeControllerManager.image;

  test("defaults to the API server image's registry path and tag, the name replaced", () => {
    expect(kcm({})).toBe('registry.k8s.io/kube-controller-manager:v1.34.4');
    expect(kcm({ image: 'mirror.example:5000/k8s/kube-apiserver:v1.33.2' })).toBe(
      'mirror.example:5000/k8s/kube-controller-manager:v1.33.2',
    );
    expect(kcm({ image: 'example.com/apiserver:v1.30.0' })).toBe('example.com/kube-controller-manager:v1.30.0');
  });

  test("never the API server's digest: tag and digest give the tag's image", () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(kcm({ image: `registry.k8s.io/kube-apiserver:v1.34.4@${digest}` })).toBe(
      'registry.k8s.io/kube-controller-manager:v1.34.4',
    );
  });

  test('an API server image pinned by digest alone is an input error asking for the input', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(problems({ image: `registry.k8s.io/kube-apiserver@${digest}` })).toEqual([
      expect.stringMatching(
        /^kube-controller-manager-image: image ".*" is pinned by digest only.*set kube-controller-manager-image/,
      ),
    ]);
    expect(
      kcm({
        image: `registry.k8s.io/kube-apiserver@${digest}`,
        'kube-controller-manager-image': `registry.k8s.io/kube-controller-manager@${digest}`,
      }),
    ).toBe(`registry.k8s.io/kube-controller-manager@${digest}`);
  });

  test('a given image is checked like every image input', () => {
    expect(problems({ 'kube-controller-manager-image': 'Not An Image' })).toEqual([
      expect.stringMatching(/^kube-controller-manager-image: "Not An Image" is not a container image reference/),
    ]);
  });
});
