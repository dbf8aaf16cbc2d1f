// One CLI command: its flags become the action's inputs (the flag names are the input names),
// the federation's own settings are read back from the host where the command does not repeat
// them, and the run's result is printed as `name=value` lines or as one JSON value.
import type { Command as Program } from 'commander';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as yaml from 'js-yaml';
import { type CliFlags, federateTarget, typeRequest } from './cli-types.js';
import type { OrphaningRequest } from '../phases/orphaning.js';
import { KubeconfigError, mergeKubeconfigText } from '../inputs/kubeconfig.js';
import { DEFAULTS, InputError, type Spec, parseSpec } from '../inputs/spec.js';
import { discoverFederation } from '../observe/discover.js';
import { withJournal } from '../apply/apply.js';
import { type Command, run } from '../phases/run.js';
import { type Log, neutralizeCommands } from '../report/log.js';
import { jsonReport, outputs } from '../report/outputs.js';
import { failedResult } from '../report/result.js';
import { deliveryText } from '../report/propagation.js';
import { verdict } from '../report/verdict.js';
import { EXIT_FAILED } from './cli-contract.js';
import { kubeconfigPaths, readKubeconfig } from './cli-terminal.js';

export type Operation =
  | 'init'
  | 'join'
  | 'unjoin'
  | 'enable'
  | 'disable'
  | 'plan'
  | 'check'
  | 'destroy'
  | 'federate'
  | 'status'
  | `orphaning-${OrphaningRequest['verb']}`;

/** Flags that steer the CLI itself rather than name an input. */
const CLI_FLAGS = ['kubeconfig', 'dry-run', 'output', 'kubefed-namespace', 'namespace', 'enable-type', 'overwrite'];

/** The action's inputs from a command's flags. */
function inputsOf(command: Program): Record<string, string> {
  const values = command.opts<Record<string, unknown>>();
  const inputs: Record<string, string> = {};
  for (const option of command.options) {
    const value = values[option.attributeName()];
    if (value !== undefined && option.long) inputs[option.long.slice(2)] = String(value);
  }
  // kubefedctl's name for the namespace of the control plane.
  const kubefedNamespace = inputs['kubefed-namespace'];
  const namespace = inputs['federation-system-namespace'];
  if (kubefedNamespace !== undefined && namespace !== undefined && kubefedNamespace !== namespace) {
    throw new InputError([
      `--kubefed-namespace "${kubefedNamespace}" and --federation-system-namespace "${namespace}" ` +
        'name two namespaces; give one (they are the same flag)',
    ]);
  }
  if (kubefedNamespace !== undefined) inputs['federation-system-namespace'] = kubefedNamespace;
  const dryRun = inputs['dry-run'];
  for (const flag of CLI_FLAGS) delete inputs[flag];
  if (dryRun !== undefined && dryRun !== 'false') inputs.mode = 'plan';
  return inputs;
}

const readFile = (p: string) => readFileSync(p, 'utf8');

/**
 * Text on stdout, where text read from a cluster may be: the CLI may run inside a workflow step
 * too. Structured output (-o json|yaml) is written as it is: byte-exact, for a pipe.
 */
const printText = (text: string) => process.stdout.write(neutralizeCommands(text));
const printStructured = (text: string) => process.stdout.write(text);

/** Every string of a report with `redact` applied (before it is JSON, so an escape hides none). */
function redacted(value: unknown, redact: (s: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redacted(v, redact));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted(v, redact)]));
  return value;
}

/** A report (not an object read from a cluster) as the one JSON document of -o json. */
export const printReport = (report: object, redact: (s: string) => string) =>
  printStructured(`${JSON.stringify(redacted(report, redact), null, 2)}\n`);

/** The CLI's log: the core's, with the credentials it registers (mask) redacted (redact). */
export type CliLog = Log & { mask: (secret: string) => void; redact: (text: string) => string };

/** Objects as `kubefed federate -o yaml|json` prints them (byte-exact): YAML documents, or one JSON value. */
export function printObjects(objects: object[], format?: string): void {
  if (format === 'json') printStructured(`${JSON.stringify(objects.length === 1 ? objects[0] : objects, null, 2)}\n`);
  else printStructured(objects.map((o) => yaml.dump(o, { noRefs: true })).join('---\n'));
}

/** Whether `kubefed federate` only prints the federated object, as kubefedctl's `-o yaml`. */
const printsObject = (operation: Operation, flags: CliFlags) =>
  operation === 'federate' && (flags.output === 'yaml' || flags.output === 'json');

/**
 * The spec and the command to run. Beyond init, the federation's own settings (its DNS zone,
 * say) are read back from the host, so the command need not repeat them.
 */
async function specOf(
  operation: Operation,
  inputs: Record<string, string>,
  [argument, name]: string[],
  flags: CliFlags,
  discover: () => Promise<Record<string, string>>,
): Promise<{ spec: Spec; todo: Command }> {
  const parse = (values: Record<string, string>): Spec => parseSpec((n) => values[n] ?? '', { readFile });
  // The federation found on the host names itself: an empty --federation-name does not unname it.
  if (inputs['federation-name'] === '') delete inputs['federation-name'];
  if (operation === 'join' || operation === 'unjoin') {
    const { 'cluster-context': context, 'secret-name': secretName, ...rest } = inputs;
    const entry = {
      name: argument,
      ...(context ? { context } : {}),
      ...(secretName ? { 'secret-name': secretName } : {}),
    };
    return { spec: parse({ ...(await discover()), ...rest, clusters: yaml.dump([entry]) }), todo: operation };
  }
  if (operation === 'enable' || operation === 'disable') {
    const { request, crds } = typeRequest(operation, argument, flags);
    const spec = parse({ ...(await discover()), ...inputs });
    return { spec, todo: operation === 'enable' ? { enable: [request] } : { disable: request, crds } };
  }
  if (operation === 'federate') {
    const federate = federateTarget(argument, name, flags, printsObject(operation, flags));
    const mode: Record<string, string> = federate.printOnly ? { mode: 'plan' } : {};
    return { spec: parse({ ...(await discover()), ...inputs, ...mode }), todo: { federate } };
  }
  if (operation === 'status') {
    // Read-only, and a gate: it fails (exit 1) while anything is not delivered.
    const selection = {
      ...(flags.namespace ? { 'propagation-namespace': flags.namespace } : {}),
      ...(flags.selector ? { 'propagation-selector': flags.selector } : {}),
    };
    const wait = flags.wait !== undefined && String(flags.wait) !== 'false';
    const spec = parse({ ...(await discover()), ...inputs, ...selection, mode: 'check' });
    return { spec, todo: { status: { type: argument, name, wait } } };
  }
  if (operation.startsWith('orphaning-')) {
    const verb = operation.slice('orphaning-'.length) as OrphaningRequest['verb'];
    const orphaning = { verb, type: argument, name, namespace: flags.namespace ?? 'default' };
    return { spec: parse({ ...(await discover()), ...inputs }), todo: { orphaning } };
  }
  // destroy has no plan of its own: a dry run of it would otherwise delete (its mode wins).
  if (operation === 'destroy' && inputs.mode === 'plan') {
    throw new InputError(['--dry-run: destroy cannot be dry-run; `kubefed plan` shows what converging would change']);
  }
  const mode = operation === 'init' ? inputs.mode : operation === 'plan' ? 'plan' : operation;
  const known =
    operation === 'init'
      ? {}
      : await discover().catch((err: unknown) => {
          if (err instanceof InputError) return {}; // no federation there yet: the flags say it all
          throw err;
        });
  return {
    spec: parse({ ...known, ...inputs, ...(mode ? { mode } : {}) }),
    todo: operation === 'init' ? 'init' : 'converge',
  };
}

export async function execute(operation: Operation, command: Program, args: string[], log: CliLog): Promise<void> {
  const flags = command.opts<CliFlags>();
  const paths = kubeconfigPaths(flags.kubeconfig);
  const kubeconfig = readKubeconfig(paths);
  kubeconfig.secrets.forEach(log.mask);
  // As kubefedctl: without --host-cluster-context, the kubeconfig's current context is the host.
  if (!flags.hostClusterContext) {
    const current = kubeconfig.config.getCurrentContext();
    if (!current) throw new InputError(['host-cluster-context: not given, and the kubeconfig has no current context']);
    command.setOptionValue('hostClusterContext', current);
  }

  const inputs = inputsOf(command);
  const namespace = inputs['federation-system-namespace'] || DEFAULTS['federation-system-namespace'];
  const discover = () =>
    discoverFederation(kubeconfig.config, inputs['host-cluster-context'], namespace, inputs['federation-name']);
  const { spec, todo } = await specOf(operation, inputs, args, flags, discover);
  // A run that stops on an error still reports what it had changed, as the action does.
  const outcome = await withJournal(() => run(spec, kubeconfig.config, { log, mask: log.mask }, todo));
  // A bad input the run found (an object to federate that does not exist) is still a usage error.
  if ('error' in outcome && (outcome.error instanceof InputError || outcome.error instanceof KubeconfigError))
    throw outcome.error;
  const result =
    'result' in outcome
      ? outcome.result
      : failedResult(spec.federationName, outcome.applied, errorMessage(outcome.error));

  // Like kubefed init: the federation's context goes into the user's kubeconfig (not made current).
  let written: string | undefined;
  if (operation === 'init' && spec.mode === 'apply' && result.federationKubeconfig) {
    written = paths[0];
    const before = existsSync(written) ? readFileSync(written, 'utf8') : '';
    writeFileSync(written, mergeKubeconfigText(before, result.federationKubeconfig), { mode: 0o600 });
    chmodSync(written, 0o600);
    const use = `kubectl config use-context ${spec.federationName}`;
    log.info(`added context "${spec.federationName}" to ${written}; use it with: ${use}`);
  }
  const judgement = verdict(spec, result);
  if (printsObject(operation, flags)) {
    printObjects(result.federated ?? [], flags.output);
  } else if (operation === 'orphaning-status' && result.orphaning && flags.output !== 'json') {
    printText(`${result.orphaning}\n`); // as kubefedctl prints it
  } else if (operation === 'status' && flags.output !== 'json') {
    printText(deliveryText(result.delivery ?? []));
  } else if (flags.output === 'json') {
    printReport(jsonReport(spec, result, written, judgement), log.redact);
  } else {
    for (const [key, value] of Object.entries(outputs(result, written))) printText(`${key}=${value}\n`);
  }
  for (const error of result.errors) log.info(`error: ${error}`);
  for (const problem of result.problems) log.info(`${judgement.failed ? 'error' : 'warning'}: ${problem}`);
  log.info(judgement.message);
  if (judgement.failed) process.exitCode = EXIT_FAILED;
}

export const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));
