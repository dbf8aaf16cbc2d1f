// The shape of the objects the action converges, and the marks it puts on them.
import { createHash } from 'node:crypto';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** The field manager of every server-side apply the action sends. */
export const FIELD_MANAGER = 'kubefed-action';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const FEDERATION_LABEL = 'kubefed-action.io/federation';
/** Hash of the object as last applied: a field dropped from the desired object changes it. */
export const HASH_ANNOTATION = 'kubefed-action.io/applied-hash';
/** Hash of the credentials a pod mounts: a renewed certificate rolls the pods that use it. */
export const CREDENTIALS_HASH_ANNOTATION = 'kubefed-action.io/credentials-hash';

/** Where an object lives: the host cluster, the federation API, or a member (by cluster name). */
export type Target = { kind: 'host' } | { kind: 'federation' } | { kind: 'member'; cluster: string };

export function targetName(target: Target): string {
  return target.kind === 'member' ? target.cluster : target.kind;
}

export function objectRef(obj: Pick<KubeObject, 'kind' | 'metadata'>): string {
  const { namespace, name } = obj.metadata;
  return `${obj.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/** Labels every object the action owns, so prune and destroy never touch anything else. */
export function ownedBy(federation: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: FIELD_MANAGER, [FEDERATION_LABEL]: federation };
}

/**
 * Whether an object shows that the action made it for this federation: its ownership labels,
 * and the hash the action writes on everything it applies.
 */
export function madeByThisFederation(obj: KubeObject, federation: string): boolean {
  const labels = obj.metadata.labels ?? {};
  return (
    labels[MANAGED_BY_LABEL] === FIELD_MANAGER &&
    labels[FEDERATION_LABEL] === federation &&
    obj.metadata.annotations?.[HASH_ANNOTATION] !== undefined
  );
}

/** A label selector for the objects the action owns for this federation. */
export function ownedBySelector(federation: string): string {
  return `${MANAGED_BY_LABEL}=${FIELD_MANAGER},${FEDERATION_LABEL}=${federation}`;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, as `sort()` compares), fields holding
 * undefined left out, so equal objects always hash alike. Built by appending, without an array
 * of entries per object: a run hashes every object it plans, a 100-member run some twenty
 * thousand values, and their garbage was a fifth of what a no-op allocated.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '';
    // An undefined element was always written as nothing (as join writes it): the hashes stay.
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (canonicalJson(value[i]) ?? '');
    return `[${out}]`;
  }
  if (value !== null && typeof value === 'object') {
    let out = '';
    for (const key of Object.keys(value).sort()) {
      const field = (value as Record<string, unknown>)[key];
      if (field !== undefined) out += `${out ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(field)}`;
    }
    return `{${out}}`;
  }
  return JSON.stringify(value);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Adds the applied-hash annotation (over everything else in the object). */
export function withAppliedHash<T extends KubeObject>(obj: T): T {
  const annotations = { ...obj.metadata.annotations };
  delete annotations[HASH_ANNOTATION];
  const bare = { ...obj, metadata: { ...obj.metadata, annotations } };
  const hash = sha256(canonicalJson(bare)).slice(0, 32);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...annotations, [HASH_ANNOTATION]: hash } } };
}

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function fromBase64(text: string | undefined): string | undefined {
  return text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8');
}
