// Every command's --help ends with Examples, and every example works as written: read back
// from the help of each command and run by a shell, as a user would paste it, in the order of
// the table they come from (init first, destroy last), against the test clusters. Between the
// federate examples and the rest, `-o yaml|json` is checked byte-exact on data a runner would
// take for commands.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userShell } from './helpers/shell.js';
import { clientFor } from './helpers/testenv.js';
import { EXAMPLES } from '../src/entrypoints/cli-examples.js';

const { home, kubeconfig, setUp, sh, start } = userShell('examples', 'bash');

const help = (command?: string) =>
  spawnSync(process.execPath, [resolve('dist/cli.js'), ...(command ? [command] : []), '--help'], { encoding: 'utf8' });

/** The commands `kubefed --help` lists (but `help` itself). */
function commands(): string[] {
  const listing = help().stdout.split('\nCommands:\n')[1] ?? '';
  return [...listing.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]).filter((name) => name !== 'help');
}

/** A command's examples, as its help prints them: `# what it does`, then `$ the line`. */
function examplesOf(command: string): { purpose: string; line: string }[] {
  const section = help(command).stdout.split('\nExamples:\n')[1] ?? '';
  return [...section.matchAll(/^ {2}# (.+)\n {2}\$ (.+)$/gm)].map((m) => ({ purpose: m[1], line: m[2] }));
}

/** The federation API, through the context init added to the kubeconfig. */
function federation(): KubernetesObjectApi {
  return clientFor('fellowship', kubeconfig);
}

/** What an example needs that is not the federation itself: objects to federate, files it names. */
const FIXTURES: Record<string, () => Promise<void>> = {
  federate: async () => {
    await federation().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mordor' } });
    await federation().create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ring', namespace: 'mordor' },
      data: { inscription: 'one ring to rule them all' },
    } as KubernetesObject);
    const ring = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ring', namespace: 'mordor' }, data: {} };
    writeFileSync(join(home, 'ring.yaml'), yaml.dump(ring));
  },
  'dns-controller': async () => {
    const config = yaml.load(readFileSync(kubeconfig, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(home, 'fellowship.kubeconfig'), yaml.dump({ ...config, 'current-context': 'fellowship' }));
  },
};

/**
 * Runs a long-running example until it says it started (and a little longer, for its watches
 * to start), then stops it as Kubernetes would.
 */
async function runUntilStarted(line: string, started: RegExp): Promise<{ code: number | null; stderr: string }> {
  const child = start(line);
  let stderr = '';
  let stopping = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!stopping && started.test(stderr)) {
      stopping = true;
      setTimeout(() => child.kill('SIGTERM'), 5000);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearTimeout(timer);
  return { code, stderr };
}

describe('the Examples of every command', () => {
  beforeAll(setUp);

  afterAll(() => {
    sh('kubefed destroy fellowship --host-cluster-context=rivendell');
  });

  test("every command's help ends with Examples, each under what it does", () => {
    const listed = commands();
    expect(listed).toEqual(expect.arrayContaining(['init', 'join', 'unjoin', 'federate', 'completion']));
    expect(listed.filter((command) => examplesOf(command).length === 0)).toEqual([]);
    // The table the help comes from runs below in its order: it names every command, no other.
    expect(Object.keys(EXAMPLES).sort()).toEqual([...listed].sort());
  });

  for (const command of Object.keys(EXAMPLES)) {
    test(`kubefed ${command}: its examples run as written`, async () => {
      await FIXTURES[command]?.();
      const examples = examplesOf(command);
      expect(examples.length).toBeGreaterThan(0);
      for (const { line } of examples) {
        if (command === 'dns-controller') {
          const run = await runUntilStarted(line, /DNS controller for federation fellowship/);
          expect({ line, code: run.code, stderr: run.stderr }).toMatchObject({ line, code: 0 });
          continue;
        }
        const run = sh(line);
        expect({ line, status: run.status, stderr: run.stderr }).toMatchObject({ line, status: 0 });
        if (/ -o json\b/.test(line)) expect(() => JSON.parse(run.stdout) as unknown).not.toThrow();
        if (/ -o yaml\b/.test(line)) expect(yaml.load(run.stdout)).toMatchObject({ kind: expect.any(String) });
      }
    });

    if (command === 'federate') {
      test('-o yaml|json is byte-exact: data a runner would take for commands round-trips unchanged', async () => {
        const data = {
          listen: '::1',
          group: '##[group]not a group',
          script: '::add-mask::value\n  ::set-output name=x::y\n##[endgroup]\n',
        };
        await federation().create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'beacon', namespace: 'mordor' },
          data,
        } as KubernetesObject);
        const printed = {
          yaml: sh('kubefed federate configmap beacon -n mordor --host-cluster-context=rivendell -o yaml'),
          json: sh('kubefed federate configmap beacon -n mordor --host-cluster-context=rivendell -o json'),
        };
        const parsed = { yaml: yaml.load(printed.yaml.stdout), json: JSON.parse(printed.json.stdout) as unknown };
        for (const format of ['yaml', 'json'] as const) {
          expect(printed[format].status).toBe(0);
          expect(parsed[format]).toMatchObject({ kind: 'FederatedConfigMap', spec: { template: { data } } });
          expect(printed[format].stdout).not.toContain('\u200b');
        }
        // Exactly what the serializers make of the object: not one byte changed on the way out.
        expect(printed.yaml.stdout).toBe(yaml.dump(parsed.yaml, { noRefs: true }));
        expect(printed.json.stdout).toBe(`${JSON.stringify(parsed.json, null, 2)}\n`);
        expect(printed.yaml.stdout).toMatch(/^ +::set-output name=x::y$/m);
      });
    }
  }
});
