// kubefedctl's verbs on types and federated objects, for the command line: enable, disable,
// federate (an object, a namespace with its contents, or the objects of a file) and
// orphaning-deletion, with kubefedctl's flags and an Examples section in each help.
import type { Command } from 'commander';
import * as yaml from 'js-yaml';
import { readFileSync } from 'node:fs';
import { federatedObject } from '../desired/federated-object.js';
import { guessedTypeOf } from '../desired/federated-type-names.js';
import { FEDERATED_GROUP, FEDERATED_VERSION } from '../desired/federated-types.js';
import type { KubeObject } from '../desired/objects.js';
import { rfc1123SubdomainError } from '../inputs/names.js';
import { InputError } from '../inputs/spec.js';
import type { CrdPolicy } from '../phases/disable-types.js';
import type { TypeRequest } from '../phases/enable-types.js';
import type { FederateTarget } from '../phases/federate.js';

export interface CliFlags {
  kubeconfig?: string;
  hostClusterContext?: string;
  output?: string;
  namespace?: string;
  enableType?: unknown;
  overwrite?: unknown;
  contents?: unknown;
  skipApiResources?: string;
  filename?: string;
  deleteCrd?: unknown;
  federatedGroup?: string;
  federatedVersion?: string;
  wait?: unknown;
  selector?: string;
}

/** A `[bool]` flag: given bare or with anything but false. */
const on = (value: unknown): boolean => value !== undefined && String(value) !== 'false';

/** An API version as Kubernetes names them: v1, v1beta1, v2alpha3. */
const API_VERSION = /^v\d+((alpha|beta)\d+)?$/;

/** The type `enable` or `disable` names, with kubefedctl's flags checked as kubefedctl checks them. */
export function typeRequest(
  operation: 'enable' | 'disable',
  name: string,
  flags: CliFlags,
): { request: TypeRequest; crds: CrdPolicy } {
  const group = flags.federatedGroup ?? FEDERATED_GROUP;
  const version = flags.federatedVersion ?? FEDERATED_VERSION;
  const problems: string[] = [];
  const badGroup = rfc1123SubdomainError(group);
  if (badGroup) problems.push(`--federated-group: "${group}" ${badGroup}`);
  // KubeFed's webhook refuses a FederatedTypeConfig whose federated group has no dot.
  else if (!group.includes('.')) problems.push(`--federated-group: "${group}" must be a domain with a dot`);
  if (!API_VERSION.test(version))
    problems.push(`--federated-version: "${version}" is not an API version such as v1beta1`);
  if (operation === 'disable' && flags.federatedGroup !== undefined && !on(flags.deleteCrd))
    problems.push('--federated-group: only with --delete-crd (it names the group of the CRD to delete)');
  if (problems.length) throw new InputError(problems);
  const federated = group === FEDERATED_GROUP && version === FEDERATED_VERSION ? {} : { federated: { group, version } };
  return { request: { name, ...federated }, crds: on(flags.deleteCrd) ? 'delete' : 'keep' };
}

/** What `kubefed federate TYPE NAME` is asked to do; `printOnly` for -o yaml|json. */
export function federateTarget(
  type: string | undefined,
  name: string | undefined,
  flags: CliFlags,
  printOnly: boolean,
): FederateTarget {
  const problems: string[] = [];
  if (!type) problems.push('type: the type of the object is required (or -f FILE)');
  else if (!name) problems.push('name: the name of the object is required');
  if (on(flags.enableType) && printOnly) problems.push('--enable-type: -o yaml|json only prints; it enables nothing');
  if (flags.skipApiResources !== undefined && !on(flags.contents))
    problems.push('--skip-api-resources: only with --contents');
  if (problems.length) throw new InputError(problems);
  const skip = (flags.skipApiResources ?? '').split(',').map((s) => s.trim().toLowerCase());
  return {
    type: type as string,
    name: name as string,
    namespace: flags.namespace ?? 'default',
    enableType: on(flags.enableType),
    overwrite: on(flags.overwrite),
    // Only when asked: federating is done once KubeFed has the objects, as kubefedctl's.
    ...(on(flags.wait) ? { wait: true } : {}),
    ...(on(flags.contents) ? { contents: { skip: skip.filter((s) => s !== '') } } : {}),
    printOnly,
  };
}

/**
 * `kubefed federate -f FILE` (`-` for stdin), as kubefedctl's: the Federated<Kind> of every object
 * in the YAML documents (a List's items each), made without a server, its type guessed from its
 * apiVersion and kind. Only printed.
 */
export function federatedFromFile(path: string, flags: CliFlags, args: (string | undefined)[]): KubeObject[] {
  const misused = [
    args.some((a) => a !== undefined) ? 'TYPE and NAME' : '',
    on(flags.contents) ? '--contents' : '',
    on(flags.enableType) ? '--enable-type' : '',
    on(flags.overwrite) ? '--overwrite' : '',
  ].filter((m) => m !== '');
  if (misused.length) throw new InputError([`-f: ${misused.join(', ')} cannot be used with a file (it only prints)`]);
  let documents: unknown[];
  try {
    documents = yaml.loadAll(readFileSync(path === '-' ? 0 : path, 'utf8'));
  } catch (err) {
    throw new InputError([`-f: ${path === '-' ? 'stdin' : path}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const objects = documents.flatMap((d) => {
    const doc = d as { kind?: unknown; items?: unknown[] } | null;
    return doc && doc.kind === 'List' && Array.isArray(doc.items) ? doc.items : doc ? [doc] : [];
  }) as KubeObject[];
  const problems: string[] = [];
  const federated = objects.flatMap((object, i) => {
    const guessed = guessedTypeOf(object);
    const name = object.metadata?.name;
    if ('error' in guessed || typeof name !== 'string' || name === '') {
      problems.push(`-f: object ${i + 1} ${'error' in guessed ? guessed.error : 'has no metadata.name'}`);
      return [];
    }
    return [federatedObject(object, guessed.type)];
  });
  if (problems.length) throw new InputError(problems);
  return federated;
}

/** What the program gives these commands: its flags and how a command runs. */
export interface CommandKit {
  common: (command: Command, formats?: string[], formatHelp?: string) => Command;
  act: (operation: string) => (...args: unknown[]) => Promise<void>;
  federationName: [string, string];
  printObjects: (objects: object[], format?: string) => void;
}

/** enable, disable, federate and orphaning-deletion, as kubefedctl has them. */
export function typeCommands(cli: Command, kit: CommandKit): void {
  const { common, act, federationName } = kit;
  common(
    cli
      .command('enable')
      .argument('<type>', "any type the federation API serves: configmaps, deployments.apps, a CRD's plural.group")
      .description('propagate a type (its Federated<Kind> CRD and FederatedTypeConfig), as kubefedctl enable'),
  )
    .option('--federated-group <group>', `API group of the federated type (default ${FEDERATED_GROUP})`)
    .option('--federated-version <version>', `API version of the federated type (default ${FEDERATED_VERSION})`)
    .option(...federationName)
    .action(act('enable'));
  common(
    cli
      .command('disable')
      .argument('<type>', 'a type enabled before, e.g. deployments.apps')
      .description(
        'stop propagating a type (its FederatedTypeConfig; its CRD with --delete-crd), as kubefedctl disable',
      ),
  )
    .option('--delete-crd [bool]', 'also delete its Federated<Kind> CRD (refused while objects of it exist)')
    .option('--federated-group <group>', `API group of the CRD --delete-crd deletes (default ${FEDERATED_GROUP})`)
    .option(...federationName)
    .action(act('disable'));
  federateCommand(cli, kit);
  orphaningCommands(cli, kit);
}

function federateCommand(cli: Command, { common, act, federationName, printObjects }: CommandKit): void {
  const federate = act('federate');
  common(
    cli
      .command('federate')
      .argument('[type]', 'e.g. configmaps, deployments.apps, deploy, namespace')
      .argument('[name]', 'the object in the federation API')
      .description('make an object of the federation API its Federated<Kind>, on every member, as kubefedctl federate'),
    ['yaml', 'json'],
    'print the Federated<Kind> object in this format instead of creating it (as kubefedctl -o yaml)',
  )
    .option('-n, --namespace <namespace>', 'namespace of the object', 'default')
    .option('--enable-type [bool]', 'enable the type first when it is not (as kubefed enable)')
    .option('--contents [bool]', 'with a namespace: federate everything in it too')
    .option('--skip-api-resources <names>', 'with --contents: types or groups to leave out, e.g. secrets,apps')
    .option('--overwrite [bool]', 'replace a Federated<Kind> that kubefed federate did not make')
    .option('-f, --filename <file>', 'print the Federated<Kind> of each object in this YAML file (- for stdin)')
    .option(...federationName)
    .action(async (type: string | undefined, name: string | undefined, opts: CliFlags, command: Command) => {
      if (opts.filename === undefined) return federate(type, name, opts, command);
      printObjects(federatedFromFile(opts.filename, opts, [type, name]), opts.output);
    });
}

function orphaningCommands(cli: Command, { common, act, federationName }: CommandKit): void {
  const group = cli
    .command('orphaning-deletion')
    .description("whether KubeFed keeps a federated object's objects in the members when it is deleted");
  const verbs = [
    ['enable', 'keep them (annotation kubefed.io/orphan: "true"), as kubefedctl orphaning-deletion enable'],
    ['disable', 'delete them with it (the annotation removed)'],
    ['status', 'print Enabled or Disabled'],
  ] as const;
  for (const [verb, description] of verbs) {
    common(
      group
        .command(verb)
        .argument('<type>', 'a federated type: FederatedDeployment, federateddeployments, fdeploy')
        .argument('<name>', 'the federated object')
        .description(description),
    )
      .option('-n, --namespace <namespace>', 'namespace of the federated object', 'default')
      .option(...federationName)
      .action(act(`orphaning-${verb}`));
  }
}
