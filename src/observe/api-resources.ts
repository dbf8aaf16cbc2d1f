// The types a server serves, from its API discovery (the preferred version of each group, as
// kubefedctl's ServerPreferredResources), for `kubefed enable` of any type, CRDs included, and
// `kubefed federate --contents`.
import { ApisApi, CoreV1Api, type V1APIResourceList } from '@kubernetes/client-node';
import {
  type ApiResource,
  contentTypes,
  groupQualifiedName,
  lookupApiResource,
  targetOf,
} from '../desired/federated-type-names.js';
import type { KubeObject } from '../desired/objects.js';
import { rfc1123SubdomainError } from '../inputs/names.js';
import { type TargetType, findType } from '../desired/federated-types.js';
import { InputError } from '../inputs/spec.js';
import { type Cluster, requestConfiguration } from './cluster.js';

/** Every resource the server serves, at its group's preferred version; groups that fail to answer are left out. */
export async function servedResources(cluster: Cluster): Promise<ApiResource[]> {
  const conf = requestConfiguration(cluster.config);
  const groups = await cluster
    .retrying(() => new ApisApi(conf).getAPIVersions())
    .catch((err: unknown) => {
      throw cluster.explain(err, 'list API groups');
    });
  const core = cluster.retrying(() => new CoreV1Api(conf).getAPIResources()).then((list) => ({ group: '', list }));
  const named = groups.groups.map(async (g) => {
    const version = g.preferredVersion?.version ?? g.versions[0]?.version ?? '';
    const list = await cluster.retrying(() => cluster.raw.getAPIResources({ group: g.name, version }));
    return { group: g.name, list };
  });
  const answered = await Promise.allSettled([core, ...named]);
  if (answered[0].status === 'rejected') throw cluster.explain(answered[0].reason, 'list the core API');
  return answered.flatMap((a) => (a.status === 'fulfilled' ? resourcesOf(a.value.group, a.value.list) : []));
}

function resourcesOf(group: string, list: V1APIResourceList): ApiResource[] {
  const version = list.groupVersion.includes('/') ? list.groupVersion.split('/')[1] : list.groupVersion;
  const names = new Set(list.resources.map((r) => r.name));
  return list.resources
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({
      group,
      version,
      name: r.name,
      singularName: r.singularName || r.kind.toLowerCase(),
      kind: r.kind,
      namespaced: r.namespaced,
      shortNames: r.shortNames ?? [],
      verbs: r.verbs ?? [],
      // Every built-in type with a /scale subresource has an int32 spec.replicas.
      replicas: names.has(`${r.name}/scale`),
    }));
}

/**
 * For a type a CRD serves, what kubefedctl reads off the CRD's schema (its first version):
 * whether spec.replicas is an int32, the field HPA scales.
 */
async function withCrdReplicas(cluster: Cluster, r: ApiResource): Promise<ApiResource> {
  if (!r.group) return r;
  const crd = await cluster.read({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${r.name}.${r.group}` },
  });
  if (!crd) return r;
  type Schema = { properties?: Record<string, Schema>; type?: string; format?: string };
  const versions = (crd.spec as { versions?: { schema?: { openAPIV3Schema?: Schema } }[] }).versions ?? [];
  const replicas = versions[0]?.schema?.openAPIV3Schema?.properties?.spec?.properties?.replicas;
  return { ...r, replicas: replicas?.type === 'integer' && replicas.format === 'int32' };
}

/**
 * The type `name` means on `cluster`, with the federated group and version to enable it under.
 * kubefedctl's default types resolve without a request; any other name through discovery.
 */
export async function resolveType(
  cluster: Cluster,
  name: string,
  federated?: TargetType['federated'],
): Promise<TargetType> {
  const known = findType(name);
  if (known) return federated ? { ...known, federated } : known;
  const found = lookupApiResource(await servedResources(cluster), name);
  if ('error' in found) throw new InputError([`type: ${found.error}`]);
  return targetOf(await withCrdReplicas(cluster, found), federated);
}

/** Objects of one type found in a namespace. */
export interface TypedObjects {
  type: TargetType;
  objects: KubeObject[];
}

/**
 * Everything in `namespace` that kubefedctl federate --contents federates, by type; objects whose
 * names are no RFC 1123 subdomain are left out with a warning, as kubefedctl leaves them.
 */
export async function namespaceContents(
  cluster: Cluster,
  namespace: string,
  skip: string[],
): Promise<{ contents: TypedObjects[]; warnings: string[] }> {
  const warnings: string[] = [];
  const types = contentTypes(await servedResources(cluster), skip);
  const listed = await Promise.all(
    types.map(async (r) => {
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      const objects = (await cluster.list(apiVersion, r.kind, '', namespace)).filter((o) => {
        const invalid = rfc1123SubdomainError(o.metadata.name);
        if (invalid) warnings.push(`skipping ${r.kind} "${o.metadata.name}": ${invalid}`);
        return !invalid;
      });
      return { resource: r, objects };
    }),
  );
  const contents: TypedObjects[] = [];
  for (const { resource, objects } of listed.filter((l) => l.objects.length > 0))
    contents.push({
      // kubefedctl's default types exactly as the action enables them.
      type: findType(groupQualifiedName(resource)) ?? targetOf(await withCrdReplicas(cluster, resource)),
      objects,
    });
  return { contents, warnings };
}
