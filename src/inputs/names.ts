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
