// The examples are loaded and checked against what they use: the action's inputs and outputs
// (action.yml), pinned third-party actions, and the CLI's real commands and flags.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import { changelogSections, releaseNotes } from '../scripts/release-notes.mjs';

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

const read = (path: string) => readFileSync(path, 'utf8');
const WORKFLOWS = readdirSync('.github/workflows').map((f) => `.github/workflows/${f}`);
const stepsOf = (file: string) =>
  Object.values((yaml.load(read(file)) as Workflow).jobs).flatMap((job) => job.steps ?? []);

describe('the workflows', () => {
  test.each(WORKFLOWS)('%s sets its permissions at the top and pins every action by SHA and tag', (file) => {
    const text = read(file);
    expect((yaml.load(text) as { permissions?: unknown }).permissions).toBeDefined();
    const uses = [...text.matchAll(/^\s+(?:- )?uses: (\S+)(.*)$/gm)].filter(([, ref]) => ref !== './');
    expect(uses.length).toBeGreaterThan(0);
    for (const [line, ref, comment] of uses) {
      expect({ line, pinned: /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref) }).toEqual({ line, pinned: true });
      expect({ line, tag: /^ # v\d+\.\d+\.\d+$/.test(comment) }).toEqual({ line, tag: true });
    }
  });

  test("each action is at a version that runs on Node 24 (GitHub's runners dropped Node 20)", () => {
    // The first version of each action whose action.yml says `runs.using: node24`, read from the
    // actions' repositories (setup-go's v6.0.0 and v6.1.0 still ran on Node 20, cache's v4.3.0
    // too); an action not listed here must be looked up and added.
    const FIRST_ON_NODE24: Record<string, string> = {
      'actions/checkout': '5.0.0',
      'actions/setup-node': '5.0.0',
      'actions/setup-go': '6.2.0',
      'actions/cache': '5.0.0',
      'docker/setup-buildx-action': '4.0.0',
      'docker/login-action': '4.0.0',
      'docker/build-push-action': '7.0.0',
    };
    const rank = (version: string) => version.split('.').reduce((sum, part) => sum * 1000 + Number(part), 0);
    const pins = WORKFLOWS.flatMap((file) => [...read(file).matchAll(/uses: ([\w./-]+)@[0-9a-f]{40} # v([\d.]+)/g)]);
    expect(pins.length).toBeGreaterThan(5);
    for (const [line, action, version] of pins) {
      const first = FIRST_ON_NODE24[action];
      expect({ line, node24: first !== undefined && rank(version) >= rank(first) }).toEqual({ line, node24: true });
    }
  });

  test('each action is pinned to one commit everywhere', () => {
    const pins = new Map<string, Set<string>>();
    for (const file of WORKFLOWS)
      for (const [, action, sha] of read(file).matchAll(/uses: ([\w./-]+)@([0-9a-f]{40})/g))
        pins.set(action, (pins.get(action) ?? new Set()).add(sha));
    expect([...pins].filter(([, shas]) => shas.size > 1)).toEqual([]);
  });

  test('CI checks dist/ in a step of its own, after the build, even when a test failed', () => {
    const steps = stepsOf('.github/workflows/ci.yml') as (Step & { name?: string; if?: string })[];
    const build = steps.findIndex((s) => s.run === 'npm run build');
    const check = steps.findIndex((s) => s.run === 'scripts/check-dist.sh');
    expect(build).toBeGreaterThan(-1);
    expect(check).toBeGreaterThan(build);
    expect(steps[check].if).toContain('!cancelled()');
    expect(steps.map((s) => s.run)).toContain('npm run lint');
  });
});

describe('actionlint in the lint', () => {
  const lint = (file: string) => spawnSync('scripts/actionlint.sh', [file], { encoding: 'utf8' });
  const workflow = (run: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
    const file = join(dir, 'w.yml');
    const job = { 'runs-on': 'ubuntu-latest', steps: [{ run }] };
    writeFileSync(file, yaml.dump({ name: 'w', on: 'push', permissions: {}, jobs: { a: job } }));
    return file;
  };

  test('npm run lint runs it', () => {
    expect(JSON.parse(read('package.json')).scripts.lint).toContain('scripts/actionlint.sh');
  });

  test('passes a clean workflow, and fails one that is no YAML or whose script shellcheck faults', () => {
    expect(lint(workflow('echo "$HOME"'))).toMatchObject({ status: 0 });
    const broken = workflow('echo ok');
    writeFileSync(broken, `${read(broken)}      - run: echo "dist/ is stale: run npm run build" && exit 1\n`);
    expect(lint(broken)).toMatchObject({ status: 1, stdout: expect.stringContaining('could not parse as YAML') });
    expect(lint(workflow('echo $HOME'))).toMatchObject({ status: 1, stdout: expect.stringContaining('SC2086') });
  });
});

describe('one version story', () => {
  const version: string = JSON.parse(read('package.json')).version;
  const major = `v${version.split('.')[0]}`;
  const docs = [
    'README.md',
    'SECURITY.md',
    'CHANGELOG.md',
    'action.yml',
    ...readdirSync('examples').map((f) => `examples/${f}`),
  ];
  const releaseSteps = stepsOf('.github/workflows/release.yml') as (Step & { name?: string })[];
  const releaseStep = (name: string) => {
    const step = releaseSteps.find((s) => s.name?.startsWith(name) || s.uses?.startsWith(name));
    if (!step) throw new Error(`release.yml has no step ${name}`);
    return step;
  };
  /** Runs a release step's script here, as the runner would (bash -e), with these variables. */
  const runScript = (script: string, env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'release-'));
    writeFileSync(join(dir, 'output'), '');
    const PATH = `${dirname(process.execPath)}:${process.env.PATH}`;
    const env_ = { PATH, GITHUB_OUTPUT: join(dir, 'output'), RUNNER_TEMP: dir, ...env };
    const ran = spawnSync('bash', ['-e', '-c', script], { encoding: 'utf8', env: env_ });
    return { status: ran.status, stdout: ran.stdout, output: read(join(dir, 'output')), dir };
  };

  test('the README, SECURITY.md and the examples use the major tag that releasing this version moves', () => {
    const uses = docs.flatMap((file) => [...read(file).matchAll(/kubefed-action\/kubefed-action@(v[\w.]+)/g)]);
    expect(uses.length).toBeGreaterThan(3);
    expect(new Set(uses.map(([, ref]) => ref))).toEqual(new Set([major]));
    // Only the line that names the tag: the rest of the step pushes it.
    const naming = (releaseStep('Move the major tag').run ?? '').split('\n').find((l) => l.startsWith('major='));
    expect(runScript(`${naming}; echo "$major"`, { GITHUB_REF_NAME: `v${version}` }).stdout).toBe(`${major}\n`);
  });

  test("release.yml runs on v*.*.* tags and refuses a tag that is not package.json's version", () => {
    expect((yaml.load(read('.github/workflows/release.yml')) as { on: unknown }).on).toEqual({
      push: { tags: ['v*.*.*'] },
    });
    const check = releaseStep("The tag is package.json's version").run ?? '';
    expect(runScript(check, { GITHUB_REF_NAME: `v${version}` }).status).toBe(0);
    const wrong = runScript(check, { GITHUB_REF_NAME: `v${version}.1` });
    expect(wrong).toMatchObject({ status: 1, stdout: expect.stringContaining(`is not package.json's version`) });
  });

  test('the image is v<version> everywhere, pushed for amd64 and arm64 under the lower-cased repository', () => {
    const tags = docs.flatMap((file) => [
      ...read(file).matchAll(/ghcr\.io\/kubefed-action\/kubefed-action:(v\d[\w.-]*\w)/g),
    ]);
    expect(tags.length).toBeGreaterThan(1);
    expect(new Set(tags.map(([, tag]) => tag))).toEqual(new Set([`v${version}`]));
    const named = runScript(releaseStep('Image name').run ?? '', {
      GITHUB_REPOSITORY: 'KubeFed-Action/kubefed-action',
      GITHUB_REF_NAME: `v${version}`,
    });
    // The major tag too: a workflow pinned to @v0 runs the image ghcr.io/...:v0 by default.
    expect(named.output).toBe(`name=ghcr.io/kubefed-action/kubefed-action\nmajor=v${version.split('.')[0]}\n`);
    expect(releaseStep('docker/build-push-action').with).toMatchObject({
      push: true,
      platforms: 'linux/amd64,linux/arm64',
      tags: '${{ steps.image.outputs.name }}:${{ github.ref_name }}\n${{ steps.image.outputs.name }}:${{ steps.image.outputs.major }}\n',
      labels: expect.stringMatching(/^org\.opencontainers\.image\.source=\$\{\{ github\.server_url \}\}\//),
    });
  });

  test("the GitHub Release's notes are the CHANGELOG section of the tag's version", () => {
    const changelog = read('CHANGELOG.md');
    const sections = changelogSections(changelog);
    expect(sections[0].version).toBe(version);
    expect(sections[0].note).toMatch(/^(\d{4}-\d{2}-\d{2}|not yet tagged)$/);
    const notes = releaseStep('Release notes from CHANGELOG.md').run ?? '';
    expect(notes).toBe('node scripts/release-notes.mjs "${GITHUB_REF_NAME#v}" > "$RUNNER_TEMP/notes.md"');
    expect(releaseStep('GitHub Release').run).toContain('--notes-file "$RUNNER_TEMP/notes.md"');
    const made = runScript(notes, { GITHUB_REF_NAME: `v${version}` });
    if (sections[0].note === 'not yet tagged') expect(made.status).toBe(1);
    else expect(read(join(made.dir, 'notes.md'))).toBe(releaseNotes(changelog, version));
  });

  test('release-notes.mjs takes exactly the dated section, and refuses one missing, empty or undated', () => {
    const changelog = [
      '# Changelog',
      '## 1.1.0 — not yet tagged',
      '- next',
      '## 1.0.0 — 2026-12-01',
      '',
      '### Added',
      '- everything',
      '',
      '## 0.9.0 — 2026-11-01',
      '## 0.8.0 — 2026-10-01',
      '- old',
    ].join('\n');
    expect(releaseNotes(changelog, '1.0.0')).toBe('### Added\n- everything\n');
    expect(() => releaseNotes(changelog, '1.1.0')).toThrow('not dated ("not yet tagged")');
    expect(() => releaseNotes(changelog, '0.9.0')).toThrow('is empty');
    expect(() => releaseNotes(changelog, '2.0.0')).toThrow('no section');
  });

  test("action.yml's description fits the Marketplace (under 125 characters)", () => {
    const { description } = yaml.load(read('action.yml')) as { description: string };
    expect(description.length).toBeLessThan(125);
  });
});

describe('the repository files', () => {
  test('LICENSE is the Apache-2.0 text package.json names', () => {
    expect(JSON.parse(read('package.json')).license).toBe('Apache-2.0');
    const license = read('LICENSE');
    expect(license).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect(license).toContain('APPENDIX: How to apply the Apache License to your work.');
  });

  test('.node-version is the Node major the action runs on and the project installs', () => {
    const node = read('.node-version').trim();
    expect((yaml.load(read('action.yml')) as { runs: { using: string } }).runs.using).toBe(`node${node}`);
    expect(JSON.parse(read('package.json')).devDependencies.node).toMatch(new RegExp(`^\\^${node}\\.`));
  });

  test('.gitattributes marks dist/ generated', () => {
    expect(read('.gitattributes')).toMatch(/^dist\/\*\* linguist-generated=true -diff$/m);
  });

  test("Dependabot updates npm, every Go module of testenv's, and the actions", () => {
    type Update = { 'package-ecosystem': string; directory?: string; directories?: string[] };
    const { updates } = yaml.load(read('.github/dependabot.yml')) as { updates: Update[] };
    const dirs = (ecosystem: string) =>
      updates.filter((u) => u['package-ecosystem'] === ecosystem).flatMap((u) => u.directories ?? [u.directory]);
    expect(dirs('npm')).toEqual(['/']);
    expect(dirs('github-actions')).toEqual(['/']);
    const modules = readdirSync('testenv', { recursive: true, encoding: 'utf8' })
      .filter((f) => f === 'go.mod' || f.endsWith('/go.mod'))
      .map((f) => `/testenv${f === 'go.mod' ? '' : `/${dirname(f)}`}`);
    expect(dirs('gomod').sort()).toEqual(modules.sort());
  });
});
