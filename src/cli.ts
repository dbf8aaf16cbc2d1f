// The kubefed-compatible command line, for pipelines that are not GitHub: the guide's commands
// and flags over the action's core. The only module (with main and post) that knows about
// process.argv, the environment and the terminal.
import { KubeConfig } from '@kubernetes/client-node';
import { Command, Option } from 'commander';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { runDnsController } from './dns-controller.js';
import { InputError, Spec, parseSpec } from './inputs.js';
import { KubeconfigError, loadKubeconfig, mergeKubeconfigText } from './kubeconfig.js';
import { Log, safeLog } from './log.js';
import { discoverFederation, runMember } from './members-run.js';
import { runTypes } from './types-run.js';
import { outputs, verdict } from './report.js';
import { RunResult, run } from './run.js';
import { VERSION } from './version.js';

/** Exit codes: 1 when the federation failed or is unhealthy, 2 for a bad command or input. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const INIT_FLAGS: [string, string][] = [
  ['dns-provider <provider>', 'google-clouddns, aws-route53 or coredns'],
  ['dns-zone-name <zone>', 'the federation domain, ending with a dot'],
  ['dns-provider-config <file>', 'the DNS provider configuration file (INI)'],
  ['api-server-service-type <type>', 'LoadBalancer (default) or NodePort'],
  ['api-server-advertise-address <address>', 'the address clients reach the federation API at'],
  ['apiserver-arg-overrides <flags>', 'federation API server flags: "--flag=value,--flag2=value"'],
  ['controllermanager-arg-overrides <flags>', 'controller manager flags: "--flag=value,--flag2=value"'],
  ['apiserver-enable-basic-auth [bool]', 'basic auth (API server images up to v1.18 only)'],
  ['apiserver-enable-token-auth [bool]', 'token auth'],
  ['etcd-persistent-storage [bool]', 'keep etcd on a PersistentVolumeClaim (default true)'],
  ['etcd-pv-capacity <quantity>', 'size of the etcd claim (default 10Gi)'],
  ['etcd-pv-storage-class <class>', 'storage class of the etcd claim'],
  ['image <image>', 'federation API server image'],
  ['etcd-image <image>', 'etcd image'],
  ['controller-manager-image <image>', 'KubeFed controller manager image'],
  ['external-dns-image <image>', 'external-dns image'],
  ['dns-controller-image <image>', "the project's image, run as the DNS controller"],
];

/** The flags every command takes. */
function common(command: Command): Command {
  return command
    .requiredOption('--host-cluster-context <context>', 'kubeconfig context of the host cluster')
    .option('--kubeconfig <path>', 'kubeconfig to read (default $KUBECONFIG, else ~/.kube/config)')
    .option('--federation-system-namespace <namespace>', 'namespace of the control plane (default federation-system)')
    .option('--dry-run [bool]', 'print the changes, write nothing')
    .option('--wait [bool]', 'wait until the federation is healthy (default true)')
    .addOption(new Option('--timeout <duration>', 'how long each wait may take, e.g. 90s or 5m').env('KUBEFED_TIMEOUT'));
}

function withInitFlags(command: Command): Command {
  for (const [flags, description] of INIT_FLAGS) command.option(`--${flags}`, description);
  return command;
}

/** The action's inputs from a command's flags: the flag names are the input names. */
function inputsOf(command: Command): Record<string, string> {
  const values = command.opts<Record<string, unknown>>();
  const inputs: Record<string, string> = {};
  for (const option of command.options) {
    const value = values[option.attributeName()];
    if (value !== undefined && option.long) inputs[option.long.slice(2)] = String(value);
  }
  const dryRun = inputs['dry-run'];
  delete inputs['dry-run'];
  delete inputs.kubeconfig;
  if (dryRun !== undefined && dryRun !== 'false') inputs.mode = 'plan';
  return inputs;
}

/** The kubeconfig files: --kubeconfig, else every path of $KUBECONFIG, else ~/.kube/config. */
function kubeconfigPaths(flag: string | undefined): string[] {
  if (flag) return [flag];
  const fromEnv = (process.env.KUBECONFIG ?? '').split(':').filter((p) => p !== '');
  return fromEnv.length ? fromEnv : [join(homedir(), '.kube', 'config')];
}

/**
 * Progress on stderr, with every credential the run registers replaced by ***, and no line a
 * CI runner would take as a command (the CLI may run inside a GitHub workflow step too).
 */
function terminalLog(): Log & { mask: (secret: string) => void } {
  const secrets: string[] = [];
  const redact = (m: string) => secrets.reduce((text, s) => text.split(s).join('***'), m);
  const log = safeLog({
    info: (m) => process.stderr.write(`${redact(m)}\n`),
    warning: (m) => process.stderr.write(`warning: ${redact(m)}\n`),
    group: (title) => {
      process.stderr.write(`== ${title}\n`);
      return () => undefined;
    },
  });
  return {
    ...log,
    mask: (secret) => {
      if (secret.length >= 4) secrets.push(...secret.split('\n').filter((l) => l.length >= 4), secret);
    },
  };
}

type Operation = 'init' | 'join' | 'unjoin' | 'enable' | 'disable' | 'plan' | 'check' | 'destroy';

/** One for the process: a fatal error is redacted with every credential the run registered. */
const log = terminalLog();

async function execute(operation: Operation, command: Command, cluster?: string): Promise<void> {
  const paths = kubeconfigPaths(command.opts<{ kubeconfig?: string }>().kubeconfig);
  const texts = paths.filter((p) => existsSync(p)).map((p) => readFileSync(p, 'utf8'));
  if (texts.length === 0) throw new KubeconfigError(`kubeconfig: none of ${paths.join(', ')} exists`);
  const kubeconfig = loadKubeconfig(texts.join('\n---\n'));
  kubeconfig.secrets.forEach(log.mask);

  const inputs = inputsOf(command);
  const opts = { log, mask: log.mask };
  let result: RunResult;
  let spec: Spec;
  if (operation === 'join' || operation === 'unjoin') {
    const { 'cluster-context': context, 'secret-name': secretName, 'federation-name': name, ...rest } = inputs;
    const namespace = rest['federation-system-namespace'] || 'federation-system';
    const federation = await discoverFederation(kubeconfig.config, rest['host-cluster-context'], namespace, name);
    const entry = { name: cluster, ...(context ? { context } : {}), ...(secretName ? { 'secret-name': secretName } : {}) };
    spec = parseSpec((n) => ({ ...federation, ...rest, clusters: yaml.dump([entry]) })[n] ?? '', { readFile: (p) => readFileSync(p, 'utf8') });
    result = await runMember(operation, spec, kubeconfig.config, opts);
  } else if (operation === 'enable' || operation === 'disable') {
    const { 'federation-name': name, ...rest } = inputs;
    const federation = await discoverFederation(kubeconfig.config, rest['host-cluster-context'], rest['federation-system-namespace'] || 'federation-system', name);
    spec = parseSpec((n) => ({ ...federation, ...rest, 'federated-types': cluster ?? '' })[n] ?? '', { readFile: (p) => readFileSync(p, 'utf8') });
    result = await runTypes(operation, spec, kubeconfig.config, opts);
  } else {
    const mode = operation === 'init' ? inputs.mode : operation === 'plan' ? 'plan' : operation;
    // Beyond init, the federation's own settings (its DNS zone, say) need not be repeated.
    const known = operation === 'init' ? {} : await discoverFederation(kubeconfig.config, inputs['host-cluster-context'], inputs['federation-system-namespace'] || 'federation-system', inputs['federation-name']).catch((err: unknown) => {
            if (err instanceof InputError) return {}; // no federation there yet: the flags say it all
            throw err;
          });
    spec = parseSpec((n) => ({ ...known, ...inputs, ...(mode ? { mode } : {}) })[n] ?? '', { readFile: (p) => readFileSync(p, 'utf8') });
    result = await run(spec, kubeconfig.config, { ...opts, controlPlaneOnly: operation === 'init' });
  }

  // Like kubefed init: the federation's context goes into the user's kubeconfig (not made current).
  let written: string | undefined;
  if (operation === 'init' && spec.mode === 'apply' && result.federationKubeconfig) {
    written = paths[0];
    writeFileSync(written, mergeKubeconfigText(existsSync(written) ? readFileSync(written, 'utf8') : '', result.federationKubeconfig), { mode: 0o600 });
    chmodSync(written, 0o600);
    log.info(`added context "${spec.federationName}" to ${written}; use it with: kubectl config use-context ${spec.federationName}`);
  }
  for (const [name, value] of Object.entries(outputs(result, written))) process.stdout.write(`${name}=${value}\n`);
  for (const error of result.errors) log.info(`error: ${error}`);
  const { failed, message } = verdict(spec, result);
  for (const problem of result.problems) log.info(`${failed ? 'error' : 'warning'}: ${problem}`);
  log.info(message);
  if (failed) process.exitCode = EXIT_FAILED;
}

function program(): Command {
  const cli = new Command('kubefed').description('Set up and keep a Kubernetes cluster federation (kubefed init / join / unjoin, declaratively).').version(VERSION, '--version');
  const act = (operation: Operation) => async (argument: string, _opts: unknown, command: Command) => execute(operation, command, argument);

  withInitFlags(common(cli.command('init').argument('<federation-name>').description('deploy the federation control plane on the host cluster')))
    .action(async (name: string, _opts: unknown, command: Command) => execute('init', withName(command, name)));
  common(cli.command('join').argument('<cluster-name>').description('join a cluster to the federation'))
    .option('--cluster-context <context>', 'kubeconfig context of the cluster (default: its name)')
    .option('--secret-name <name>', 'name of the Secret holding its credentials in the federation (default: its name)')
    .option('--federation-name <name>', 'which federation, when the namespace holds several')
    .action(act('join'));
  common(cli.command('unjoin').argument('<cluster-name>').description('remove a cluster from the federation'))
    .option('--cluster-context <context>', 'kubeconfig context of the cluster (default: the one it was joined with)')
    .option('--federation-name <name>', 'which federation, when the namespace holds several')
    .action(act('unjoin'));
  for (const [operation, description] of [
    ['enable', 'propagate a type through the federation (its Federated<Kind> CRD and FederatedTypeConfig), as kubefedctl enable'],
    ['disable', 'stop propagating a type (its FederatedTypeConfig, and its CRD when no federated object is left), as kubefedctl disable'],
  ] as const) {
    common(cli.command(operation).argument('<type>', 'e.g. configmaps, deployments.apps, ingresses.networking.k8s.io').description(description))
      .option('--federation-name <name>', 'which federation, when the namespace holds several')
      .action(act(operation));
  }
  for (const [operation, description] of [
    ['plan', 'print what converging to these flags would change, write nothing'],
    ['check', 'write nothing; exit 1 unless the federation and its members are healthy'],
    ['destroy', 'unjoin every member and delete the control plane'],
  ] as const) {
    withInitFlags(common(cli.command(operation).argument('<federation-name>').description(description)))
      .option('--clusters <list>', 'member clusters: YAML list of {name, context, secret-name}, or one name per line')
      .option('--prune [bool]', 'unjoin clusters the action joined that are not listed')
      .action(async (name: string, _opts: unknown, command: Command) => execute(operation, withName(command, name)));
  }
  cli
    .command('dns-controller')
    .description("keep the federation's DNS records (one DNSEndpoint per federated Service) until stopped; runs in the control plane")
    .requiredOption('--kubeconfig <path>', 'kubeconfig of the federation API')
    .requiredOption('--federation-name <name>', 'the federation')
    .requiredOption('--zone <zone>', "the federation's DNS zone (dns-zone-name)")
    .option('--kubefed-namespace <namespace>', "KubeFed's namespace in the federation API", 'federation-system')
    .action(async (opts: { kubeconfig: string; federationName: string; zone: string; kubefedNamespace: string }) => {
      const config = new KubeConfig();
      config.loadFromFile(opts.kubeconfig);
      const stop = new AbortController();
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
      const stamped = (m: string) => `${new Date().toISOString()} ${m}`;
      const dnsLog = { ...log, info: (m: string) => log.info(stamped(m)), warning: (m: string) => log.warning(stamped(m)) };
      await runDnsController({ kubeconfig: config, federation: opts.federationName, namespace: opts.kubefedNamespace, zone: opts.zone, log: dnsLog }, stop.signal);
    });
  cli.command('version').description('print the version').action(() => {
    process.stdout.write(`kubefed ${VERSION}\n`);
  });
  return cli;
}

/** Passes the federation name argument as the `federation-name` input. */
function withName(command: Command, name: string): Command {
  command.addOption(new Option('--federation-name <name>').hideHelp());
  command.setOptionValue('federationName', name);
  return command;
}

program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const usage = err instanceof InputError || err instanceof KubeconfigError;
    log.info(`kubefed: ${err instanceof Error ? err.message : String(err)}${usage ? '\nnothing was changed' : ''}`);
    process.exitCode = usage ? EXIT_USAGE : EXIT_FAILED;
  })
  // An exec credential plugin that missed its deadline may still be running: exit all the same.
  .finally(() => process.stderr.write('', () => process.stdout.write('', () => process.exit())));
