// How kubefedctl names and finds API types, for any type a server serves (CRDs included): which
// served resource a command-line name means, and the TargetType enabling it makes. Pure; follows
// kubefed v0.10.0 pkg/kubefedctl/enable/util.go and federate/federate.go.
import { FEDERATED_GROUP, KNOWN_TYPES, type TargetType, federatedApi } from './federated-types.js';

/** One resource of a server's discovery (its preferred version of each group). */
export interface ApiResource {
  group: string;
  version: string;
  /** The plural, as the REST path names it. */
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  /** Its spec has integer replicas (a /scale subresource, or a CRD's spec.replicas int32). */
  replicas: boolean;
}

/** `<plural>` for the core group, else `<plural>.<group>` (kubefedctl's group-qualified name). */
export const groupQualifiedName = (r: Pick<ApiResource, 'name' | 'group'>): string =>
  r.group ? `${r.name}.${r.group}` : r.name;

/** kubefedctl's NameMatchesResource: plural, singular, kind, `<plural>.<group>` or a short name, any case. */
export function nameMatches(name: string, r: ApiResource): boolean {
  const wanted = name.toLowerCase();
  return (
    wanted === r.name ||
    wanted === r.singularName ||
    wanted === r.kind.toLowerCase() ||
    wanted === `${r.name}.${r.group}` ||
    r.shortNames.some((s) => s.toLowerCase() === wanted)
  );
}

/**
 * The resource `name` means among `resources`, as kubefedctl's LookupAPIResource picks it: a
 * core group match wins; otherwise exactly one match, or an error saying why.
 */
export function lookupApiResource(resources: ApiResource[], name: string): ApiResource | { error: string } {
  const matches = resources.filter((r) => !r.name.includes('/') && nameMatches(name, r));
  const core = matches.find((r) => r.group === '');
  if (core) return core;
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    return {
      error:
        `multiple resources are matched by "${name}": ${matches.map(groupQualifiedName).join(', ')}; ` +
        'give a group-qualified plural name',
    };
  }
  return { error: `the federation API serves no type named "${name}" (see kubectl api-resources)` };
}

/** The type kubefedctl enable makes of a served resource, with its federated group and version. */
export function targetOf(r: ApiResource, federated?: { group: string; version: string }): TargetType {
  return {
    group: r.group,
    version: r.version,
    kind: r.kind,
    plural: r.name,
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    ...(r.shortNames.length ? { shortNames: [...r.shortNames] } : {}),
    ...(r.replicas ? { replicas: true } : {}),
    ...(federated ? { federated } : {}),
  };
}

/** apimachinery's UnsafeGuessKindToResource: the plural a kind most likely has. */
export function guessPlural(kind: string): string {
  const singular = kind.toLowerCase();
  if (singular.endsWith('endpoints')) return singular;
  if (singular.endsWith('s')) return `${singular}es`;
  if (singular.endsWith('y')) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

/**
 * The type of an object read from a file, as kubefedctl federate -f guesses it without asking a
 * server: group and version from its apiVersion, plural guessed from its kind, namespaced when it
 * names a namespace.
 */
export function guessedTypeOf(object: { apiVersion?: unknown; kind?: unknown; metadata?: { namespace?: unknown } }) {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  if (!apiVersion || !kind) return { error: 'has no apiVersion or kind' };
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  const type: TargetType = {
    group,
    version,
    kind,
    plural: guessPlural(kind),
    scope: object.metadata?.namespace ? 'Namespaced' : 'Cluster',
  };
  return { type };
}

/** kubefedctl's IsFederatedAPIResource: a Federated<Kind> of the default federated group. */
export const isFederatedResource = (r: Pick<ApiResource, 'kind' | 'group'>): boolean =>
  r.kind.startsWith('Federated') && r.group === FEDERATED_GROUP;

/** What kubefedctl federate --contents never federates: objects controllers make in a namespace. */
const CONTROLLER_MADE = ['endpoints', 'events', 'events.events.k8s.io', 'propagatedversions.core.kubefed.io'];
/**
 * Groups whose namespaced objects the federation's own controllers make or read as configuration:
 * KubeFed's (FederatedServiceStatus, ReplicaSchedulingPreference) and the DNS controller's
 * DNSEndpoints. kubefedctl would try to federate them and fail on their types not being enabled.
 */
const FEDERATION_GROUPS = ['core.kubefed.io', 'scheduling.kubefed.io', 'externaldns.k8s.io'];

/**
 * Whether --contents leaves a served resource out: cluster-scoped, not listable, a federated type,
 * the deprecated `extensions` group, made by controllers, or named by --skip-api-resources (a name
 * of the type or its whole group).
 */
export function skippedByContents(r: ApiResource, skip: string[]): boolean {
  if (!r.namespaced || !r.verbs.includes('list') || isFederatedResource(r)) return true;
  if (r.group === 'extensions' || FEDERATION_GROUPS.includes(r.group) || skip.includes(r.group)) return true;
  return [...CONTROLLER_MADE, ...skip].some((name) => name !== '' && nameMatches(name, r));
}

/** For --contents, each type once: the highest version kubefedctl would keep of a group-qualified name. */
export function contentTypes(resources: ApiResource[], skip: string[]): ApiResource[] {
  const byName = new Map<string, ApiResource>();
  for (const r of resources)
    if (!skippedByContents(r, skip)) byName.set(groupQualifiedName(r), byName.get(groupQualifiedName(r)) ?? r);
  return [...byName.values()];
}

/** The federated types of kubefedctl's default ten, as a server that enabled them serves them. */
export function servedFederatedTypes(): ApiResource[] {
  return Object.values(KNOWN_TYPES).map((t) => {
    const api = federatedApi(t);
    return {
      group: api.group,
      version: api.version,
      name: api.plural,
      singularName: api.kind.toLowerCase(),
      kind: api.kind,
      namespaced: api.scope === 'Namespaced',
      shortNames: (t.shortNames ?? []).map((s) => `f${s}`),
      verbs: ['get', 'list', 'patch'],
      replicas: false,
    };
  });
}
