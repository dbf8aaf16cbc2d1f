// The test environment's launcher: builds the Go programs under testenv/ once into the user's
// cache directory (keyed by their sources and the Go version), then runs `testenv up|down`.
// Used by Jest's global setup and, as `npm run testenv -- up|down ...`, by people.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// What testenv builds, one Go module each, from the one table of its programs and the images
// they run (cmd/testenv/programs.json, which the testenv program embeds too).
const PROGRAMS = JSON.parse(readFileSync(join(here, 'cmd', 'testenv', 'programs.json'), 'utf8')).programs;
const GO_PROGRAMS = PROGRAMS.filter((p) => p.module !== undefined);
const BUILDS = [...new Set(GO_PROGRAMS.map((p) => p.module))].map((dir) => ({
  dir,
  programs: GO_PROGRAMS.filter((p) => p.module === dir).map((p) => p.package),
}));
// Programs built with gcc from a file of the Kubernetes module (the pause image's pause.c).
const C_PROGRAMS = PROGRAMS.filter((p) => p.c !== undefined);

// The project's own image runs as this node on the repository's dist/cli.js (images.go).
const project = dirname(here);

export const defaultState = join(tmpdir(), 'kubefed-testenv');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /(\.go|go\.mod|go\.sum|programs\.json)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const hash = createHash('sha256');
  hash.update(execFileSync('go', ['version']));
  for (const file of sourceFiles(here)) hash.update(file.slice(here.length)).update(readFileSync(file));
  return join(base, 'kubefed-action', 'testenv', hash.digest('hex').slice(0, 16));
}

/** Builds (or finds in the cache) every program of BUILDS, after installing what the nodes need. */
export function ensureBinaries() {
  installNodePackages();
  const bin = cacheDir();
  if (existsSync(join(bin, 'testenv'))) return bin;
  const building = `${bin}.building-${process.pid}`;
  mkdirSync(building, { recursive: true });
  process.stderr.write(
    `testenv: building kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, etcd, KubeFed, external-dns and CoreDNS from their Go modules, and pause with gcc, into ${bin}\n` +
      'testenv: (a first build takes about 13 minutes on 2 cores; later runs reuse it)\n',
  );
  for (const { dir, programs } of BUILDS) {
    // Stripped, as Kubernetes releases its binaries (-s -w): the nodes import every image.
    const build = spawnSync('go', ['build', `-ldflags=-s -w ${versionFlags(dir)}`, '-o', building + '/', ...programs], {
      cwd: join(here, dir),
      stdio: 'inherit',
    });
    if (build.status !== 0) {
      rmSync(building, { recursive: true, force: true });
      throw new Error(`testenv: go build in testenv/${dir} failed (exit ${build.status})`);
    }
  }
  const kubernetes = execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', 'k8s.io/kubernetes'], {
    cwd: here,
    encoding: 'utf8',
  });
  for (const p of C_PROGRAMS) {
    const cc = spawnSync('gcc', [...p.cflags, '-o', join(building, p.binary), join(kubernetes.trim(), p.c)], {
      stdio: 'inherit',
    });
    if (cc.status !== 0) {
      rmSync(building, { recursive: true, force: true });
      throw new Error(`testenv: gcc ${p.c} failed (exit ${cc.status})`);
    }
  }
  rmSync(bin, { recursive: true, force: true });
  renameSync(building, bin);
  removeOtherBuilds(bin);
  return bin;
}

/**
 * Removes the builds of other sources (about 1 GB each) once this one is in place, so that the
 * cache holds one build, not one per change to testenv. A build under way is left alone.
 */
function removeOtherBuilds(bin) {
  const parent = dirname(bin);
  for (const entry of readdirSync(parent, { withFileTypes: true })) {
    const dir = join(parent, entry.name);
    if (entry.isDirectory() && dir !== bin && !entry.name.includes('.building-'))
      rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Kubernetes programs report their release, as hack/lib/version.sh stamps it (-X
 * k8s.io/component-base/version.gitVersion=...): the kubelet's Node says v1.34.4, as a real one.
 */
function versionFlags(dir) {
  if (dir !== '.') return '';
  const version = execFileSync('go', ['list', '-m', '-f', '{{.Version}}', 'k8s.io/kubernetes'], {
    cwd: here,
    encoding: 'utf8',
  }).trim();
  const [major, minor] = version.replace(/^v/, '').split('.');
  const vars = { gitVersion: version, gitMajor: major, gitMinor: minor, gitTreeState: 'clean' };
  return Object.entries(vars)
    .flatMap(([key, value]) => [
      `-X k8s.io/client-go/pkg/version.${key}=${value}`,
      `-X k8s.io/component-base/version.${key}=${value}`,
    ])
    .join(' ');
}

/**
 * The nodes' packages from Debian (containerd, runc, the CNI plugins, iptables), installed
 * with apt-get when one is missing, as a fresh machine needs; quick when all are there.
 */
function installNodePackages() {
  const script = join(here, 'install-node-packages.sh');
  const result = spawnSync(script, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`testenv: ${script} failed (exit ${result.status})`);
}

// Where the project's image comes from: this node, this repository (flags given later win).
function projectArgs() {
  return ['--node', process.execPath, '--project', project];
}

function run(bin, args) {
  const result = spawnSync(join(bin, 'testenv'), args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`testenv ${args[0]} failed (exit ${result.status})`);
}

/**
 * Starts the named clusters ("rivendell,gondor=gondor_needs-no_king"; "s01=m001+m002" is one
 * API server reached through the contexts m001 and m002, each listed in clusters) and returns what
 * testenv wrote to ready.json: the kubeconfig path, the audit logs, the etcd endpoint, the DNS
 * provider's server. `latency` ("25ms") puts a proxy delaying every byte that much each way in
 * front of each API server, at the address the kubeconfig and ready.json give.
 */
export function up({ clusters, kubeconfig, state = defaultState, watchPid, latency } = {}) {
  const bin = ensureBinaries();
  const args = ['up', ...projectArgs(), '--state', state];
  if (clusters) args.push('--clusters', clusters);
  if (kubeconfig) args.push('--kubeconfig', kubeconfig);
  if (watchPid) args.push('--watch-pid', String(watchPid));
  if (latency) args.push('--latency', latency);
  run(bin, args);
  return readInfo(state);
}

export function down({ state = defaultState } = {}) {
  run(ensureBinaries(), ['down', '--state', state]);
}

export function readInfo(state = defaultState) {
  return JSON.parse(readFileSync(join(state, 'ready.json'), 'utf8'));
}

// `node testenv/index.mjs up|down|build [flags]`: flags are passed to the Go program as given.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [command, ...rest] = process.argv.slice(2);
  try {
    const bin = ensureBinaries();
    if (command === 'build') console.log(bin);
    else if (command === 'up') run(bin, [command, ...projectArgs(), ...rest]);
    else if (command === 'down') run(bin, [command, ...rest]);
    else {
      console.error(
        'usage: npm run testenv -- build | up [--clusters a,b=ctx,server=ctx1+ctx2] [--kubeconfig FILE] [--state DIR] [--node NODE] [--project DIR] [--latency 25ms] | down [--state DIR]',
      );
      process.exit(2);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
