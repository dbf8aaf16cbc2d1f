// The examples are loaded and checked against what they use: the action's inputs and outputs
// (action.yml), pinned third-party actions, and the CLI's real commands and flags.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as yaml from 'js-yaml';

type Step = { uses?: string; id?: string; with?: Record<string, unknown>; run?: string };
type Workflow = { on: unknown; jobs: Record<string, { steps?: Step[]; uses?: string }> };

const action = yaml.load(readFileSync('action.yml', 'utf8')) as {
  inputs: Record<string, { required?: boolean }>;
  outputs: Record<string, unknown>;
};
const THIS_ACTION = /^(kubefed-action\/kubefed-action@v\d+|\.\/?)$/;
const workflows = readdirSync('examples').filter((f) => f.endsWith('.yml') && f !== 'gitlab-ci.yml');

describe('the GitHub examples', () => {
  test.each(workflows)(
    '%s uses the action with inputs it has, reads outputs it gives, and pins other actions',
    (file) => {
      const text = readFileSync(`examples/${file}`, 'utf8');
      const workflow = yaml.load(text) as Workflow;
      expect(workflow.on).toBeDefined();
      const steps = Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);
      const ours = steps.filter((s) => s.uses && THIS_ACTION.test(s.uses));
      expect(ours.length).toBeGreaterThan(0);
      for (const step of ours) {
        const given = Object.keys(step.with ?? {});
        expect(given.filter((name) => !(name in action.inputs))).toEqual([]);
        const required = Object.entries(action.inputs)
          .filter(([, i]) => i.required)
          .map(([name]) => name);
        expect(required.filter((name) => !given.includes(name))).toEqual([]);
      }
      for (const step of steps.filter((s) => s.uses && !THIS_ACTION.test(s.uses)))
        expect(step.uses).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      const ids = new Set(ours.map((s) => s.id));
      for (const [, id, output] of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        if (ids.has(id)) expect(Object.keys(action.outputs)).toContain(output);
      }
    },
  );
});

describe('the GitLab example', () => {
  test('runs kubefed commands and flags the CLI has', () => {
    const pipeline = yaml.load(readFileSync('examples/gitlab-ci.yml', 'utf8')) as Record<string, { script?: string[] }>;
    const lines = Object.values(pipeline)
      .flatMap((job) => (typeof job === 'object' && job && 'script' in job ? (job.script ?? []) : []))
      .filter((l) => l.startsWith('kubefed '));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const [, command] = line.split(/\s+/);
      const help = spawnSync(process.execPath, ['dist/cli.js', command, '--help'], { encoding: 'utf8' });
      expect(help.status).toBe(0);
      for (const [flag] of line.matchAll(/--[a-z-]+/g)) expect(help.stdout).toContain(flag);
    }
  });
});

describe('the e2e workflow on kind', () => {
  const text = readFileSync('.github/workflows/e2e.yml', 'utf8');
  const workflow = yaml.load(text) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);

  test('runs this action, with inputs it has, and pins every other action', () => {
    const ours = steps.filter((s) => s.uses === './');
    expect(ours.map((s) => (s.with as { mode?: string }).mode ?? 'apply')).toEqual([
      'apply',
      'apply',
      'check',
      'destroy',
    ]);
    for (const step of ours)
      expect(Object.keys(step.with ?? {}).filter((name) => !(name in action.inputs))).toEqual([]);
    for (const step of steps.filter((s) => s.uses && s.uses !== './'))
      expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
  });

  test('runs only commands the README documents', () => {
    const readme = readFileSync('README.md', 'utf8');
    const lines = steps
      .flatMap((s) => (s.run ?? '').split('\n'))
      .map((l) => l.trim())
      .filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((line) => !readme.includes(line))).toEqual([]);
  });
});
