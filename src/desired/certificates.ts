// The federation's certificates checked on every run: each is kept, or re-issued (by
// issue-certificates.ts, loaded only then) when missing, unparsable, not signed by the CA, not
// matching its key, lacking a name, or near expiry. Checked with Node's own X.509 (OpenSSL's),
// so that a run that issues nothing needs none of @peculiar/x509's stack.
import { type KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import type { Pem } from './issue-certificates.js';

const DAY = 24 * 60 * 60 * 1000;
export const RENEW_BEFORE_MS = 30 * DAY;

/** What issues certificates: loaded on first use, in the bundle still (webpack's "eager" mode). */
export const issuer = () => import(/* webpackMode: "eager" */ './issue-certificates.js');

/** A CA kept from an earlier run, with the public key its leaves are checked against. */
export interface KeptCa extends Pem {
  publicKey: KeyObject;
}

/** The CA, when its certificate and key parse, belong together, and it is not near expiry. */
export function loadCa(certPem: string | undefined, keyPem: string | undefined, now: Date): KeptCa | undefined {
  if (!certPem || !keyPem) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    if (cert.validToDate.getTime() - now.getTime() < RENEW_BEFORE_MS) return undefined;
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    return { certPem, keyPem, publicKey: cert.publicKey };
  } catch {
    return undefined;
  }
}

/**
 * Why a leaf certificate must be re-issued, or null when it can be kept: `caKey` is the kept
 * CA's public key (undefined when the CA is new). `subject` is as subjectOf writes it.
 */
export function leafProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  caKey: KeyObject | undefined,
  sans: string[],
  now: Date,
  subject?: string,
): string | null {
  if (!certPem || !keyPem) return 'missing';
  if (!caKey) return 'new CA';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'unparsable';
  }
  // Its signature, not only its issuer's name: another CA of the same federation name has that too.
  if (!cert.verify(caKey)) return 'not signed by the CA';
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return 'its key is not its own';
  } catch {
    return 'unparsable key';
  }
  // Node writes a name one attribute a line ("CN=admin\nO=system:masters").
  if (subject !== undefined && cert.subject.split('\n').join(', ') !== subject) return `subject is not ${subject}`;
  if (cert.validToDate.getTime() - now.getTime() < RENEW_BEFORE_MS)
    return `expires ${cert.validToDate.toISOString().slice(0, 10)}`;
  const missing = sans.filter((s) =>
    isIP(s) ? cert.checkIP(s) === undefined : cert.checkHost(s, { subject: 'never', wildcards: false }) === undefined,
  );
  return missing.length ? `SAN ${missing.join(', ')} missing` : null;
}

/** A certificate's subject: the user name as CN, its groups as O. */
export function subjectOf(cn: string, groups: string[]): string {
  return [`CN=${cn}`, ...groups.map((g) => `O=${g}`)].join(', ');
}
