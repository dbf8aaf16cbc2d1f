// Kubernetes object-name rules the guide cites (kubernetes.io "Object Names and IDs").
// Each check returns null when the name is valid, else the rule it breaks, worded for a user.

const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function rfc1035LabelError(name: string): string | null {
  if (name.length > 63) return 'must be at most 63 characters (RFC 1035 label)';
  if (!RFC1035_LABEL.test(name)) {
    return (
      'must be an RFC 1035 label: lower-case letters, digits and "-", ' +
      'starting with a letter and ending with a letter or digit'
    );
  }
  return null;
}

export function rfc1123LabelError(name: string): string | null {
  if (name.length > 63) return 'must be at most 63 characters (RFC 1123 label)';
  if (!RFC1123_LABEL.test(name)) {
    return 'must be an RFC 1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return null;
}

export function rfc1123SubdomainError(name: string): string | null {
  if (name.length > 253) return 'must be at most 253 characters (RFC 1123 subdomain)';
  if (name.split('.').some((label) => !RFC1123_LABEL.test(label) || label.length > 63)) {
    return (
      'must be an RFC 1123 subdomain: dot-separated labels of lower-case letters, digits and "-", ' +
      'each starting and ending with a letter or digit'
    );
  }
  return null;
}

// A label's name (with an optional DNS-subdomain prefix) and value, as Kubernetes validates them.
const LABEL_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const REQUIREMENT = /^(!?)\s*([^\s!=()]+)\s*(?:(==|=|!=)\s*([^\s,()]*)|\s(in|notin)\s*\(([^()]*)\))?$/;

/**
 * A label selector as `kubectl -l` takes it (key, !key, key=v, key==v, key!=v, key in (a,b),
 * key notin (a,b), comma-separated): null when valid, else the part that is not.
 */
export function labelSelectorError(selector: string): string | null {
  const parts = selector.match(/([^,(]|\([^)]*\))+/g) ?? [];
  for (const part of parts.map((p) => p.trim())) {
    const m = REQUIREMENT.exec(part);
    const values = m?.[6] !== undefined ? m[6].split(',').map((v) => v.trim()) : m?.[4] !== undefined ? [m[4]] : [];
    const valid =
      m &&
      LABEL_NAME.test(m[2] ?? '') &&
      !(m[1] && (m[3] || m[5])) &&
      values.every((v) => LABEL_VALUE.test(v)) &&
      (m[5] === undefined || values.every((v) => v !== ''));
    if (!valid) return `is not a label selector: "${part}" is not key, !key, key=value, key!=value or key in (values)`;
  }
  return null;
}
