// The parsers of single inputs: images, flag overrides, type names, durations. Each adds its
// problems, naming the input, to the list it is given, so every problem is reported at once.
import { TargetType, findType, namespaceDependencyProblem } from '../desired/federated-types.js';
import type { RunningAction } from './images.js';

/** One `--flag=value` of an override list; `value` is undefined for a bare `--flag`. */
export interface Flag {
  name: string;
  value?: string;
}

export interface InputDeps {
  /** Reads dns-provider-config when it names a file; throws when there is none. */
  readFile: (path: string) => string;
  /** The action this step runs, when run as one (dns-controller-image's default is its image). */
  action?: RunningAction;
}

/** One dot-separated component of a registry host name. */
const DOMAIN_COMPONENT = /[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?/.source;
/** One lower-case path component: alphanumeric runs joined by ".", "_", "__" or dashes. */
const PATH_COMPONENT = /[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*/.source;
/** The optional `registry[:port]/` prefix. */
const IMAGE_REGISTRY = String.raw`(?:${DOMAIN_COMPONENT}(?:\.${DOMAIN_COMPONENT})*(?::[0-9]+)?\/)?`;
const IMAGE_PATH = String.raw`${PATH_COMPONENT}(?:\/${PATH_COMPONENT})*`;
const IMAGE_TAG = /(?::[\w][\w.-]{0,127})?/.source;
const IMAGE_DIGEST = /(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?/.source;

/**
 * A container image reference as the distribution spec writes it: [registry[:port]/]path
 * [:tag][@digest], path components lower-case.
 */
const IMAGE_REFERENCE = new RegExp(`^${IMAGE_REGISTRY}${IMAGE_PATH}${IMAGE_TAG}${IMAGE_DIGEST}$`);

export function imageInput(name: string, value: string, problems: string[]): string {
  if (value.length > 255 || !IMAGE_REFERENCE.test(value))
    problems.push(
      `${name}: "${value}" is not a container image reference such as registry.k8s.io/kube-apiserver:v1.34.4`,
    );
  return value;
}

/**
 * Basic auth was removed from kube-apiserver in 1.19: an image at 1.19 or later would
 * crash-loop on --basic-auth-file, so refuse before writing anything.
 */
export function basicAuthImageError(image: string): string | null {
  const tag = /:v?(\d+)\.(\d+)(?:\.\d+)?[^:/@]*$/.exec(image);
  if (!tag)
    return `cannot tell the Kubernetes version of image "${image}"; basic auth needs an image tagged v1.18 or older`;
  const [major, minor] = [Number(tag[1]), Number(tag[2])];
  if (major > 1 || minor >= 19) {
    return (
      `image "${image}" is Kubernetes ${major}.${minor}, which removed basic auth (1.19+); ` +
      'use apiserver-enable-token-auth or a v1.18 or older image'
    );
  }
  return null;
}

export function readProviderConfig(value: string, deps: InputDeps, problems: string[]): string | undefined {
  if (value === '') return undefined;
  // Inline INI has a section header or a key = value line; anything else is a file path.
  if (/[\n=[]/.test(value)) return value.endsWith('\n') ? value : `${value}\n`;
  try {
    return deps.readFile(value);
  } catch {
    problems.push(`dns-provider-config: "${value}" is neither inline INI content nor a readable file`);
    return undefined;
  }
}

/**
 * Parses `--flag=value,--flag2=value` (the guide's override syntax). The list is split only
 * where a new `--flag` starts, so a value may hold commas (`--enable-admission-plugins=A,B`).
 */
export function parseFlags(input: string, value: string, problems: string[]): Flag[] {
  if (value === '') return [];
  const flags: Flag[] = [];
  for (const raw of value.split(/,(?=\s*-)/).map((s) => s.trim())) {
    const match = /^--([a-zA-Z0-9][-a-zA-Z0-9.]*)(?:=(.*))?$/.exec(raw);
    if (!match) {
      problems.push(`${input}: "${raw}" is not of the form --flag=value`);
      continue;
    }
    flags.push({ name: `--${match[1]}`, value: match[2] });
  }
  return flags;
}

/**
 * The flags the KubeFed v0.10.0 controller manager really has: its own and klog's (which keep
 * their underscores there). It exits with "unknown flag" on any other, so those are refused
 * here, before anything is written.
 */
export const KUBEFED_CONTROLLER_MANAGER_FLAGS = [
  '--kubefed-namespace',
  '--healthz-addr',
  '--metrics-addr',
  '--kubefed-config',
  '--kubeconfig',
  '--master',
  '--rest-config-qps',
  '--rest-config-burst',
  '--log-flush-frequency',
  '--add_dir_header',
  '--alsologtostderr',
  '--log_backtrace_at',
  '--log_dir',
  '--log_file',
  '--log_file_max_size',
  '--logtostderr',
  '--one_output',
  '--skip_headers',
  '--skip_log_headers',
  '--stderrthreshold',
  '--v',
  '--vmodule',
] as const;

export function kubeFedFlags(flags: Flag[], problems: string[]): Flag[] {
  for (const flag of flags) {
    if (!(KUBEFED_CONTROLLER_MANAGER_FLAGS as readonly string[]).includes(flag.name)) {
      problems.push(
        `controllermanager-arg-overrides: ${flag.name} is not a flag of the KubeFed controller manager ` +
          `(it has ${KUBEFED_CONTROLLER_MANAGER_FLAGS.join(', ')})`,
      );
    }
  }
  return flags;
}

/** A type name as kubefedctl takes it: plural, singular, kind, short name or `<plural>.<group>`. */
const TYPE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i;

/**
 * `federated-types`: kubefedctl's type names, comma- or line-separated. kubefedctl's default ten
 * are known here; any other name (a CRD's, say) is found through the federation API's discovery.
 * A namespaced type without `namespaces` is refused: KubeFed would never sync it.
 */
export function parseFederatedTypes(value: string, problems: string[]): { known: TargetType[]; discovered: string[] } {
  const known: TargetType[] = [];
  const discovered: string[] = [];
  for (const name of value.split(/[\s,]+/).filter((n) => n !== '')) {
    const type = findType(name);
    if (type) {
      if (!known.includes(type)) known.push(type);
    } else if (!TYPE_NAME.test(name)) {
      problems.push(`federated-types: "${name}" is not a type name (a plural such as statefulsets.apps, or a kind)`);
    } else if (!discovered.includes(name.toLowerCase())) discovered.push(name.toLowerCase());
  }
  const problem = namespaceDependencyProblem(known);
  if (problem) problems.push(`federated-types: ${problem}; add namespaces`);
  return { known, discovered };
}

/** The bounds of a `timeout`: long enough for a server to answer, within a job's 6 hours. */
export const TIMEOUT_BOUNDS_MS = { min: 1000, max: 6 * 3_600_000 };

/** Parses a Go-style duration ("90s", "5m", "1h30m") into milliseconds, within bounds. */
export function parseDuration(input: string, value: string, problems: string[]): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) {
    problems.push(`${input}: "${value}" is not a duration such as 90s, 5m or 1h30m`);
    return 0;
  }
  let total = 0;
  for (const [, amount, , unit] of value.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * units[unit];
  if (total < TIMEOUT_BOUNDS_MS.min || total > TIMEOUT_BOUNDS_MS.max) {
    problems.push(`${input}: "${value}" must be between 1s and 6h`);
  }
  return total;
}
