// What a member may publish under the federation's names (pure). A load balancer's status is
// written by whoever runs the member, and external-dns publishes what it is given: an address
// that only means something inside one machine or one link (loopback, link-local, the cloud
// metadata service) would send clients of the federation's names there, and an unbounded list
// would make one member's status the size of every record. So each address is checked, each
// host name is a DNS name, and the counts are bounded.
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/** Addresses a member's load balancer may give under one name (cloud balancers give one or two). */
export const MAX_ADDRESSES_PER_MEMBER = 8;
/**
 * Targets of the global name: 64 A records still fit a 1232-byte EDNS answer with room for
 * the AAAA side, and Cloud DNS and Route 53 take a record set of that size.
 */
export const MAX_GLOBAL_ADDRESSES = 64;
/** RFC 1035 §2.3.4, as presentation text without the root dot. */
export const MAX_NAME_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

/** Cloud instance metadata services: reachable from any VM, never a service of the federation. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

/** ipaddr.js's range names that never serve clients across the network, and what to call them. */
const REFUSED_RANGES: Record<string, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
};

export type CheckedAddress = { ip: string; family: 4 | 6 } | { refused: string };

/**
 * An address as it may be published (IPv4-mapped IPv6 as the IPv4 address it is, in canonical
 * text so that two spellings are one target), or why it may not.
 */
export function checkAddress(text: string): CheckedAddress {
  // Node's parser first: ipaddr.js also takes octal and hexadecimal IPv4 forms ("0x7f.1").
  if (!isIP(text)) return { refused: 'not an IP address' };
  const address = ipaddr.process(text);
  const ip = address.toString();
  if (METADATA_ADDRESSES.has(ip)) return { refused: 'a cloud metadata service address' };
  const refused = REFUSED_RANGES[address.range()];
  if (refused) return { refused };
  return { ip, family: address.kind() === 'ipv4' ? 4 : 6 };
}

/** Why a name may not be published (too long, a label too long or empty), or undefined. */
export function nameProblem(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH) return `${name.length} characters, over DNS's ${MAX_NAME_LENGTH}`;
  const label = name.split('.').find((l) => l.length > MAX_LABEL_LENGTH || l.length === 0);
  if (label === undefined) return undefined;
  return label ? `the label "${label}" is over DNS's ${MAX_LABEL_LENGTH} characters` : 'an empty label';
}

/** Why a load balancer's host name may not be a CNAME target, or undefined. */
export function hostnameProblem(hostname: string): string | undefined {
  const name = hostname.replace(/\.$/, '');
  if (!/^[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)+$/i.test(name) || isIP(name))
    return 'not a DNS host name';
  return nameProblem(name);
}

export type Address = Extract<CheckedAddress, { ip: string }>;

/** Addresses for a message: the first eight, and how many more (a member may offer thousands). */
function listed(addresses: Address[]): string {
  const shown = addresses.slice(0, MAX_ADDRESSES_PER_MEMBER).map((a) => a.ip);
  const more = addresses.length - shown.length;
  return `${shown.join(', ')}${more ? ` and ${more} more` : ''}`;
}

/** What one member's load balancer may publish: its addresses, or else one host name. */
export interface MemberOffer {
  member: string;
  addresses: Address[];
  /** Only for a member without addresses: the CNAME target of its own name. */
  hostname?: string;
}

/**
 * A member's load-balancer ingress, checked. Each address or name left out is said, through
 * `said`, as "<member>: <what> left out: <why>".
 */
export function memberOffer(
  member: string,
  ingress: { ip?: string; hostname?: string }[],
  said: (message: string) => void,
): MemberOffer {
  const addresses = new Map<string, Address>();
  for (const ip of ingress.flatMap((i) => (i.ip ? [i.ip] : []))) {
    const checked = checkAddress(ip);
    if ('refused' in checked) said(`${member}: ${ip} left out: ${checked.refused}`);
    else addresses.set(checked.ip, checked);
  }
  const kept = [...addresses.values()].sort((a, b) => a.family - b.family || a.ip.localeCompare(b.ip));
  if (kept.length > MAX_ADDRESSES_PER_MEMBER) {
    const extra = kept.splice(MAX_ADDRESSES_PER_MEMBER);
    said(`${member}: ${listed(extra)} left out: over ${MAX_ADDRESSES_PER_MEMBER} addresses`);
  }
  const hostnames: string[] = [];
  for (const hostname of new Set(ingress.flatMap((i) => (i.hostname ? [i.hostname] : [])))) {
    const problem = hostnameProblem(hostname);
    if (problem) said(`${member}: host name ${hostname} left out: ${problem}`);
    else hostnames.push(hostname.replace(/\.$/, '').toLowerCase());
  }
  hostnames.sort();
  // A name with addresses cannot also be a CNAME, and a CNAME has one target.
  const [hostname, ...others] = kept.length ? [undefined, ...hostnames] : hostnames;
  for (const other of others)
    said(`${member}: host name ${other} left out: its own name ${kept.length ? 'has addresses' : `is ${hostname}`}`);
  return { member, addresses: kept, ...(hostname ? { hostname } : {}) };
}

/**
 * The global name's addresses. It lists A and AAAA records only, from every Ready member that
 * has addresses, and never a CNAME: a CNAME cannot stand beside other records and has one
 * target, so whichever member it named would hide every other member (a member's admin could
 * take the name over with a host name that sorts first). A member whose load balancer has only
 * a host name keeps its own name (a CNAME) and is said to be left out of the global one. When
 * the members' addresses exceed the bound, they are taken in turns, one of each member's at a
 * time, so that no member's long list can crowd the others out.
 */
export function globalAddresses(offers: MemberOffer[], said: (message: string) => void): Address[] {
  const taken: Address[] = [];
  const seen = new Set<string>();
  for (const offer of offers)
    if (!offer.addresses.length && offer.hostname)
      said(`${offer.member}: left out of the global name: its load balancer has a host name, not addresses`);
  const queues = offers.map((o) => ({ member: o.member, left: [...o.addresses] }));
  while (taken.length < MAX_GLOBAL_ADDRESSES && queues.some((q) => q.left.length)) {
    for (const q of queues) {
      if (taken.length >= MAX_GLOBAL_ADDRESSES) break;
      const next = q.left.shift();
      if (next && !seen.has(next.ip)) taken.push(next);
      if (next) seen.add(next.ip);
    }
  }
  for (const q of queues.filter((q) => q.left.length))
    said(
      `${q.member}: ${listed(q.left)} left out of the global name: ` + `over ${MAX_GLOBAL_ADDRESSES} addresses in all`,
    );
  return taken;
}
