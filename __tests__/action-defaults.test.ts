// action.yml states each input's default for users; the code applies DEFAULTS. They must be
// the same values, and every default the code applies must be an input action.yml declares.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as yaml from 'js-yaml';
import { DEFAULTS } from '../src/inputs/spec.js';
import { RELEASE_IMAGE, defaultKubeControllerManagerImage } from '../src/inputs/images.js';
import { VERSION } from '../src/inputs/version.js';

const action = yaml.load(readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, { default?: string; required?: boolean; description: string }>;
};

describe('action.yml and the code', () => {
  test('state the same default for every input', () => {
    const declared = Object.fromEntries(
      Object.entries(action.inputs).flatMap(([name, input]) =>
        input.default !== undefined && input.default !== '' ? [[name, String(input.default)]] : [],
      ),
    );
    expect(declared).toEqual({ ...DEFAULTS });
  });

  test("the DNS controller's image: action.yml states the rule the code applies, at this version", () => {
    const input = action.inputs['dns-controller-image'];
    // No declared default: the runner would pass it, and the running action's own could not apply.
    expect(input.default ?? '').toBe('');
    expect(RELEASE_IMAGE).toBe(`ghcr.io/kubefed-action/kubefed-action:v${VERSION}`);
    expect(input.description).toContain(`the release's own image ${RELEASE_IMAGE}`);
    expect(input.description).toContain('ghcr.io/<GITHUB_ACTION_REPOSITORY, lower-cased>:<GITHUB_ACTION_REF>');
  });

  test("kube-controller-manager's image: action.yml's example is what the code derives from image's default", () => {
    const input = action.inputs['kube-controller-manager-image'];
    expect(input.default ?? '').toBe('');
    const example = /\((\S+) gives (\S+)\)/.exec(input.description);
    expect(example?.[1]).toBe(DEFAULTS.image);
    expect(example?.[2]).toBe(defaultKubeControllerManagerImage(DEFAULTS.image, []));
  });
});
