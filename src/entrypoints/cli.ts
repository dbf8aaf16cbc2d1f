// The kubefed-compatible command line, for pipelines that are not GitHub: the guide's commands
// and flags (and kubefedctl's, where its users know them) over the action's core. With main and
// post, the only code that knows process.argv, the environment and exit codes.
import './v8-heap.js';
import { KubeConfig } from '@kubernetes/client-node';
import { Command, CommanderError, Option } from 'commander';
import { InputError, SERVICE_TYPES, DNS_PROVIDERS } from '../inputs/spec.js';
import { KubeconfigError } from '../inputs/kubeconfig.js';
import { VERSION } from '../inputs/version.js';
import { KubefedCommand, UsageError, commandPath, isBool } from './cli-command.js';
import { EXIT_FAILED, EXIT_USAGE, errorReport, wantsJson } from './cli-contract.js';
import { addExamples } from './cli-examples.js';
import { type Operation, errorMessage, execute, printObjects, printReport } from './cli-run.js';
import { type CommandKit, typeCommands } from './cli-types.js';
import { kubeconfigPaths, readKubeconfig, terminalLog } from './cli-terminal.js';
import { CONTEXTS_COMMAND, type CompletedCommand, SHELLS, type Shell, completionScript } from './completion.js';
import { runDnsController } from './dns-controller.js';

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
  ['kube-controller-manager-image <image>', "kube-controller-manager image (default the API server image's release)"],
  ['dns-controller-image <image>', "the project's image, run as the DNS controller"],
];

/** The words a flag's value completes to, where the code knows them. */
const FLAG_VALUES: Record<string, readonly string[] | 'contexts'> = {
  'host-cluster-context': 'contexts',
  'cluster-context': 'contexts',
  'dns-provider': DNS_PROVIDERS,
  'api-server-service-type': SERVICE_TYPES,
};

const FEDERATION_NAME: [string, string] = [
  '--federation-name <name>',
  'which federation, when the namespace holds several',
];

/** What --wait waits for, where it is not the federation's health (default on). */
const WAIT_HELP: Record<string, string> = {
  status: 'wait until every federated object is delivered (default: report once)',
  federate: 'wait until the members have the object (default: done once the federation API has it)',
};

/** The flags every command on a federation takes; `formats` are those of -o. */
function common(command: Command, formats = ['text', 'json'], formatHelp = 'how the result is printed'): Command {
  return command
    .option('--host-cluster-context <context>', 'kubeconfig context of the host cluster (default: the current context)')
    .option('--kubeconfig <path>', 'kubeconfig to read (default $KUBECONFIG, else ~/.kube/config)')
    .option('--federation-system-namespace <namespace>', 'namespace of the control plane (default federation-system)')
    .option('--kubefed-namespace <namespace>', "the same, by kubefedctl's name")
    .option('--dry-run [bool]', 'print the changes, write nothing')
    .option('--wait [bool]', WAIT_HELP[command.name()] ?? 'wait until the federation is healthy (default true)')
    .addOption(new Option('--timeout <duration>', 'how long each wait may take, e.g. 90s or 5m').env('KUBEFED_TIMEOUT'))
    .addOption(new Option('-o, --output <format>', formatHelp).choices(formats));
}

function withInitFlags(command: Command): Command {
  for (const [flags, description] of INIT_FLAGS) command.option(`--${flags}`, description);
  return command;
}

/** The action's modes beyond apply, with the action's inputs as flags. */
const CONVERGE_COMMANDS = [
  ['plan', 'print what converging to these flags would change, write nothing'],
  ['check', 'write nothing; exit 1 unless the federation and its members are healthy'],
  ['destroy', 'unjoin every member and delete the control plane'],
] as const;

/** The `force` input: what unjoin and destroy do when they would otherwise stop. */
const FORCE = {
  unjoin: ['--force [bool]', 'the cluster unreachable: remove it from the federation and name what stays on it'],
  destroy: ['--force [bool]', 'remove the control plane even when members are unknown or could not be unjoined'],
} as const;

/** One for the process: a fatal error is redacted with every credential the run registered. */
const log = terminalLog();

/** The action of a command whose arguments are all passed on (its options object is dropped). */
const act =
  (operation: Operation) =>
  async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    await execute(operation, command, args.slice(0, -2) as string[], log);
  };

/** The action of a command whose one argument is the federation's name. */
const actNamed = (operation: Operation) => async (name: string, _opts: unknown, command: Command) => {
  command.addOption(new Option('--federation-name <name>').hideHelp());
  command.setOptionValue('federationName', name);
  await execute(operation, command, [], log);
};

function program(): Command {
  const cli = new KubefedCommand('kubefed')
    .description('Set up and keep a Kubernetes cluster federation (kubefed init / join / unjoin, declaratively).')
    .version(VERSION, '--version');

  withInitFlags(
    common(
      cli
        .command('init')
        .argument('<federation-name>')
        .description('deploy the federation control plane on the host cluster'),
    ),
  ).action(actNamed('init'));
  common(cli.command('join').argument('<cluster-name>').description('join a cluster to the federation'))
    .option('--cluster-context <context>', 'kubeconfig context of the cluster (default: its name)')
    .option('--secret-name <name>', 'name of the Secret holding its credentials in the federation (default: its name)')
    .option(...FEDERATION_NAME)
    .action(act('join'));
  common(cli.command('unjoin').argument('<cluster-name>').description('remove a cluster from the federation'))
    .option('--cluster-context <context>', 'kubeconfig context of the cluster (default: the one it was joined with)')
    .option(...FEDERATION_NAME)
    .option(...FORCE.unjoin)
    .action(act('unjoin'));
  typeCommands(cli, { common, act: act as CommandKit['act'], federationName: FEDERATION_NAME, printObjects });
  statusCommand(cli);
  for (const [operation, description] of CONVERGE_COMMANDS) {
    const command = withInitFlags(common(cli.command(operation).argument('<federation-name>').description(description)))
      .option('--clusters <list>', 'member clusters: YAML list of {name, context, secret-name}, or one name per line')
      .option('--prune [bool]', 'unjoin clusters the action joined that are not listed');
    if (operation === 'destroy') command.option(...FORCE.destroy);
    command.action(actNamed(operation));
  }
  dnsControllerCommand(cli);
  cli
    .command('version')
    .description('print the version')
    .addOption(new Option('-o, --output <format>', 'how the version is printed').choices(['text', 'json']))
    .action((opts: { output?: string }) => {
      process.stdout.write(
        opts.output === 'json' ? `${JSON.stringify({ version: VERSION })}\n` : `kubefed ${VERSION}\n`,
      );
    });
  cli
    .command('completion')
    .argument('<shell>', SHELLS.join(' or '))
    .description('print a shell completion script: eval "$(kubefed completion bash)"')
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new InputError([`shell: "${shell}" is not bash or zsh`]);
      process.stdout.write(completionScript(shell as Shell, 'kubefed', completedCommands(cli)));
    });
  cli
    .command(CONTEXTS_COMMAND, { hidden: true })
    .option('--kubeconfig <path>')
    .action((opts: { kubeconfig?: string }) => {
      const names = readKubeconfig(kubeconfigPaths(opts.kubeconfig))
        .config.getContexts()
        .map((c) => c.name);
      process.stdout.write(names.map((n) => `${n}\0`).join(''));
    });
  addExamples(cli);
  return cli;
}

/** `kubefed status [TYPE [NAME]]`: the delivery gate's table, read from the federation API alone. */
function statusCommand(cli: Command): void {
  common(
    cli
      .command('status')
      .argument('[type]', 'one federated type: deployments.apps, deploy, FederatedDeployment, fdeploy')
      .argument('[name]', 'one federated object of it')
      .description(
        "whether each federated object reached every member it is placed on (KubeFed's status, the members' " +
          'rollout); exit 1 while one has not',
      ),
  )
    .option('-n, --namespace <namespace>', 'only the federated objects in this namespace (default: all)')
    .option('-l, --selector <selector>', 'only the federated objects with these labels, e.g. app=web')
    .option(...FEDERATION_NAME)
    .action(act('status'));
}

/** What completion needs of the program: each visible command and its flags' values. */
function completedCommands(cli: Command): CompletedCommand[] {
  return cli.commands
    .filter((c) => c.name() !== CONTEXTS_COMMAND)
    .map((c) => ({
      name: c.name(),
      flags: c.options
        .filter((o) => !o.hidden && o.long)
        .map((o) => {
          const long = o.long?.slice(2) ?? '';
          const values = o.argChoices ?? FLAG_VALUES[long] ?? (isBool(o) ? ['true', 'false'] : undefined);
          const names = [o.long ?? '', ...(o.short ? [o.short] : [])];
          return { names, ...(values ? { values } : {}), ...(isBool(o) ? { joined: true } : {}) };
        }),
    }));
}

function dnsControllerCommand(cli: Command): void {
  cli
    .command('dns-controller')
    .description("keep the federation's DNS records (a DNSEndpoint per federated Service); runs in the control plane")
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
      const dnsLog = {
        ...log,
        info: (m: string) => log.info(stamped(m)),
        warning: (m: string) => log.warning(stamped(m)),
      };
      const { federationName: federation, kubefedNamespace: namespace, zone } = opts;
      await runDnsController({ kubeconfig: config, federation, namespace, zone, log: dnsLog }, stop.signal);
    });
}

/** The one line a failed command ends with, and its exit code. */
function failure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof UsageError) {
    const message = err.message.replace(/^error: /, '');
    return { message: `${message} (see: ${commandPath(err.command)} --help)`, exitCode: EXIT_USAGE };
  }
  // No command given: commander printed the help.
  if (err instanceof CommanderError) return { message: 'give a command (see: kubefed --help)', exitCode: EXIT_USAGE };
  const usage = err instanceof InputError || err instanceof KubeconfigError;
  return { message: errorMessage(err), exitCode: usage ? EXIT_USAGE : EXIT_FAILED };
}

program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CommanderError && err.exitCode === 0) return; // --help or --version, printed
    const { message, exitCode } = failure(err);
    // -o json promises one JSON document on stdout, whatever happened.
    if (wantsJson(process.argv.slice(2))) printReport(errorReport(message, exitCode), log.redact);
    log.info(`kubefed: ${message}${exitCode === EXIT_USAGE ? '\nnothing was changed' : ''}`);
    process.exitCode = exitCode;
  })
  // An exec credential plugin that missed its deadline may still be running: exit all the same.
  .finally(() => process.stderr.write('', () => process.stdout.write('', () => process.exit())));
