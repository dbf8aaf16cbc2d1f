// action.yml states each input's default for users; the code applies DEFAULTS. They must be
// the same values, and every default the code applies must be an input action.yml declares.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as yaml from 'js-yaml';
import { DEFAULTS } from '../src/inputs/spec.js';
import { VERSION } from '../src/inputs/version.js';

const action = yaml.load(readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, { default?: string; required?: boolean }>;
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

  test('the DNS controller image is the project\u2019s own at this version', () => {
    expect(action.inputs['dns-controller-image'].default).toBe(`ghcr.io/kubefed-action/kubefed-action:v${VERSION}`);
  });
});
