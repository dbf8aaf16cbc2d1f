// A member's DNS joined to (or parted from) the federation: the `federations` entry of its
// kube-dns ConfigMap, or the federation's server block in its CoreDNS Corefile. Pure.
import { FEDERATION_LABEL, FIELD_MANAGER, KubeObject, MANAGED_BY_LABEL, ownedBy } from '../desired/objects.js';
import type { Spec } from '../inputs/spec.js';
import { describeBlock, withFederationBlock, withoutFederationBlock } from './corefile.js';
import type { Step } from './plan.js';

export const KUBE_DNS = { name: 'kube-dns', namespace: 'kube-system' } as const;
export const COREDNS = { name: 'coredns', namespace: 'kube-system' } as const;

/** kube-dns names a federation's domain without the root dot ("fellowship=example.com"). */
export function kubeDnsEntry(spec: Spec): { federation: string; domain: string } {
  return { federation: spec.federationName, domain: spec.dns.zone.replace(/\.$/, '') };
}

/**
 * The `federations` value with this federation's entry set (kept in place when present),
 * every other federation's entry untouched. Entries are "name=domain", comma-separated.
 */
export function withFederation(current: string | undefined, federation: string, domain: string): string {
  const entries = parseFederations(current);
  const entry = `${federation}=${domain}`;
  const at = entries.findIndex((e) => e.split('=')[0] === federation);
  if (at >= 0) entries[at] = entry;
  else entries.push(entry);
  return entries.join(',');
}

/** The `federations` value without this federation's entry ('' when none is left). */
export function withoutFederation(current: string | undefined, federation: string): string {
  return parseFederations(current)
    .filter((e) => e.split('=')[0] !== federation)
    .join(',');
}

function parseFederations(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

/** The kube-dns ConfigMap join creates when the member has none (and no CoreDNS). */
export function kubeDnsConfigMap(spec: Spec): KubeObject {
  const { federation, domain } = kubeDnsEntry(spec);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...KUBE_DNS, labels: ownedBy(spec.federationName) },
    data: { federations: `${federation}=${domain}` },
  };
}

export interface KubeDnsPlan {
  step?: Step;
  /** Why nothing is done to the member's DNS although something would be expected. */
  warning?: string;
}

/**
 * Join (`present`) or unjoin the federation in a member's kube-dns configuration, given the
 * member's kube-dns and coredns ConfigMaps as observed. A ConfigMap the action created for
 * this federation alone is deleted on unjoin; one shared with others only loses its entry.
 */
export function planKubeDns(
  spec: Spec,
  cluster: string,
  observed: { kubeDns?: KubeObject; coreDns?: KubeObject },
  present: boolean,
): KubeDnsPlan {
  const target = { kind: 'member' as const, cluster };
  const { federation, domain } = kubeDnsEntry(spec);
  const { kubeDns, coreDns } = observed;
  const current = (kubeDns?.data as Record<string, string> | undefined)?.federations;
  if (!kubeDns && coreDns) return planCorefile(spec, cluster, coreDns, present);
  if (!kubeDns) {
    if (!present) return {};
    return {
      step: {
        action: 'create',
        target,
        object: kubeDnsConfigMap(spec),
        reason: `federations: ${federation}=${domain}`,
      },
    };
  }
  const wanted = present ? withFederation(current, federation, domain) : withoutFederation(current, federation);
  if (wanted === (current ?? '')) return {};
  const ref: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...KUBE_DNS, resourceVersion: kubeDns.metadata.resourceVersion },
  };
  const otherKeys = Object.keys((kubeDns.data as Record<string, string> | undefined) ?? {}).filter(
    (k) => k !== 'federations',
  );
  const ours =
    kubeDns.metadata.labels?.[FEDERATION_LABEL] === spec.federationName &&
    kubeDns.metadata.labels?.[MANAGED_BY_LABEL] === FIELD_MANAGER;
  if (!present && wanted === '' && otherKeys.length === 0 && ours)
    return { step: { action: 'delete', target, object: ref } };
  return {
    step: {
      action: 'update',
      target,
      object: ref,
      reason: present ? `federations: add ${federation}=${domain}` : `federations: remove ${federation}`,
      dataPatch: { federations: wanted === '' ? null : wanted },
    },
  };
}

/**
 * A CoreDNS member: the federation's server block merged into its Corefile (or taken out of
 * it), the rest of the Corefile untouched.
 */
function planCorefile(spec: Spec, cluster: string, coreDns: KubeObject, present: boolean): KubeDnsPlan {
  const corefile = (coreDns.data as Record<string, string> | undefined)?.Corefile;
  if (corefile === undefined)
    return present
      ? { warning: 'runs CoreDNS, but ConfigMap kube-system/coredns has no Corefile: its DNS is left as it is' }
      : {};
  const block = { federation: spec.federationName, zone: spec.dns.zone, forwardTo: spec.dns.settings.forwardTo };
  const plan = present ? withFederationBlock(corefile, block) : withoutFederationBlock(corefile, spec.federationName);
  if ('refused' in plan) return { warning: plan.refused };
  if ('unchanged' in plan) return {};
  return {
    step: {
      action: 'update',
      target: { kind: 'member', cluster },
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { ...COREDNS, resourceVersion: coreDns.metadata.resourceVersion },
      },
      reason: present
        ? `Corefile: server block ${describeBlock(block)}`
        : `Corefile: remove the server block of ${spec.federationName}`,
      dataPatch: { Corefile: plan.corefile },
    },
  };
}
