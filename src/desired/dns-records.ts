// Federated services → DNS records (pure): one DNSEndpoint, external-dns's own record type, per
// federated Service. `<svc>.<ns>.<fed>.svc.<zone>` answers with the Service's load-balancer
// addresses in every Ready member, `<svc>.<ns>.<fed>.svc.<cluster>.<zone>` with one member's.
// Only what a member may publish (dns-addresses.ts) goes in; every member, address or name
// left out is said, for the controller's log and status.
import { Address, MemberOffer, globalAddresses, memberOffer, nameProblem } from './dns-addresses.js';
import { KubeObject, canonicalJson, ownedBy } from './objects.js';

export const DNS_ENDPOINT_GROUP = 'externaldns.k8s.io';
export const DNS_ENDPOINT_VERSION = 'v1alpha1';
export const DNS_ENDPOINT_API = `${DNS_ENDPOINT_GROUP}/${DNS_ENDPOINT_VERSION}`;
/** Short, so a member that fails leaves resolvers' caches quickly. */
export const RECORD_TTL_SECONDS = 30;

/** One record of a DNSEndpoint, as external-dns reads it. */
export interface DnsRecord {
  dnsName: string;
  recordType: 'A' | 'AAAA' | 'CNAME';
  targets: string[];
  recordTTL: number;
}

/** What KubeFed's status controller collects from members: FederatedServiceStatus. */
export interface ServiceStatus {
  metadata: { name: string; namespace?: string };
  clusterStatus?: {
    clusterName: string;
    status?: MemberServiceStatus;
  }[];
}

type MemberServiceStatus = { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };

export interface MemberRecord {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}

export interface DnsView {
  federation: string;
  /** The zone, with or without its root dot. */
  zone: string;
  /** The federated Services: their names and placement. */
  services: FederatedService[];
  statuses: ServiceStatus[];
  clusters: MemberRecord[];
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface FederatedService {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string };
  spec?: { placement?: { clusters?: { name: string }[]; clusterSelector?: LabelSelector } };
  /** With KubeFed's RawResourceStatusCollection, each member's Service status (no FederatedServiceStatus then). */
  status?: { clusters?: { name: string; remoteStatus?: MemberServiceStatus }[] };
}

/**
 * The members a federated object is placed on, as KubeFed decides: the listed clusters when
 * there is a list, else those the selector matches (`{}` matches all), else none. KubeFed's
 * collected status may still name a member the object has left, so it is read through this.
 */
export function placedOn(service: FederatedService, clusters: MemberRecord[]): Set<string> {
  const placement = service.spec?.placement;
  if (placement?.clusters) return new Set(placement.clusters.map((c) => c.name));
  const selector = placement?.clusterSelector;
  if (!selector) return new Set();
  return new Set(clusters.filter((c) => matches(selector, c.metadata.labels ?? {})).map((c) => c.metadata.name));
}

function matches(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every((e) => {
      const has = e.key in labels;
      if (e.operator === 'Exists') return has;
      if (e.operator === 'DoesNotExist') return !has;
      const listed = has && (e.values ?? []).includes(labels[e.key]);
      return e.operator === 'In' ? listed : !listed;
    })
  );
}

/** KubeFed's verdict: a member serves the global name only while its Ready condition is True. */
export function memberReady(cluster: MemberRecord): boolean {
  return cluster.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The records of one name: A and AAAA for addresses, else one CNAME. */
export function recordsFor(dnsName: string, addresses: Address[], cname?: string): DnsRecord[] {
  const of = (family: 4 | 6) => [...new Set(addresses.filter((a) => a.family === family).map((a) => a.ip))].sort();
  const record = (recordType: DnsRecord['recordType'], targets: string[]): DnsRecord => ({
    dnsName,
    recordType,
    targets,
    recordTTL: RECORD_TTL_SECONDS,
  });
  const [v4, v6] = [of(4), of(6)];
  const records = [...(v4.length ? [record('A', v4)] : []), ...(v6.length ? [record('AAAA', v6)] : [])];
  if (!records.length && cname) records.push(record('CNAME', [cname]));
  return records;
}

/** The DNSEndpoint of every federated Service, by "<namespace>/<name>"; what is left out said in `leftOut`. */
export function desiredEndpoints(view: DnsView, leftOut: string[] = []): Map<string, KubeObject> {
  const zone = view.zone.replace(/\.$/, '');
  const members = new Map(view.clusters.map((c) => [c.metadata.name, memberReady(c)]));
  const statuses = new Map(view.statuses.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const out = new Map<string, KubeObject>();
  for (const service of view.services) {
    // Being deleted is gone: KubeFed holds the object until every member let go of its copy,
    // which a member that is down never does.
    if (service.metadata.deletionTimestamp) continue;
    const { name, namespace = 'default' } = service.metadata;
    const said = (m: string) => leftOut.push(`${namespace}/${name}: ${m}`);
    const base = `${name}.${namespace}.${view.federation}.svc`;
    const placed = placedOn(service, view.clusters);
    const offered: MemberOffer[] = [];
    const records: DnsRecord[] = [];
    const remote = (service.status?.clusters ?? []).map((c) => ({ clusterName: c.name, status: c.remoteStatus }));
    const ownStatus = statuses.get(`${namespace}/${name}`)?.clusterStatus;
    const collected = [...(ownStatus ?? remote)].sort((a, b) => a.clusterName.localeCompare(b.clusterName));
    for (const { clusterName, status } of collected) {
      // A member no longer joined, or no longer chosen, has no records at all; one that is not
      // Ready keeps its own name.
      if (!members.has(clusterName) || !placed.has(clusterName)) continue;
      const offer = memberOffer(clusterName, status?.loadBalancer?.ingress ?? [], (m) => said(`member ${m}`));
      const own = `${base}.${clusterName}.${zone}`;
      const problem = nameProblem(own);
      if (problem) said(`member ${clusterName}: ${own} not published: ${problem}`);
      else records.push(...recordsFor(own, offer.addresses, offer.hostname));
      if (!members.get(clusterName)) said(`member ${clusterName}: left out of the global name: not Ready`);
      else offered.push(offer);
    }
    const global = `${base}.${zone}`;
    const problem = nameProblem(global);
    if (problem) said(`${global} not published: ${problem}`);
    else
      records.unshift(
        ...recordsFor(
          global,
          globalAddresses(offered, (m) => said(`member ${m}`)),
        ),
      );
    out.set(`${namespace}/${name}`, {
      apiVersion: DNS_ENDPOINT_API,
      kind: 'DNSEndpoint',
      metadata: { name, namespace, labels: ownedBy(view.federation) },
      spec: { endpoints: records },
    });
  }
  return out;
}

export interface EndpointChange {
  action: 'create' | 'update' | 'delete';
  /** The desired object (create, update) or the one on the server (delete). */
  object: KubeObject;
}

/** What to write so the server's DNSEndpoints (the action's own) become the desired ones. */
export function endpointChanges(desired: Map<string, KubeObject>, current: KubeObject[]): EndpointChange[] {
  const changes: EndpointChange[] = [];
  const existing = new Map(current.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  for (const [key, object] of desired) {
    const have = existing.get(key);
    if (!have) changes.push({ action: 'create', object });
    else if (
      canonicalJson((have.spec as { endpoints?: unknown } | undefined)?.endpoints ?? []) !==
      canonicalJson((object.spec as { endpoints: unknown }).endpoints)
    ) {
      changes.push({
        action: 'update',
        object: { ...object, metadata: { ...object.metadata, resourceVersion: have.metadata.resourceVersion } },
      });
    }
  }
  for (const [key, object] of existing) if (!desired.has(key)) changes.push({ action: 'delete', object });
  return changes;
}

/** One line per record, for the log: "web.default.fed.svc.example.com A 10.0.0.1,10.0.0.2". */
export function describeRecords(object: KubeObject): string {
  const records = (object.spec as { endpoints?: DnsRecord[] } | undefined)?.endpoints ?? [];
  return records.length
    ? records.map((r) => `${r.dnsName} ${r.recordType} ${r.targets.join(',')}`).join('; ')
    : 'no records';
}
