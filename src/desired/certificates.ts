// Certificates for the federation's credentials: a CA, and leaves it signs, each checked on
// every run and re-issued only when missing, unparsable, lacking a name, or near expiry.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

// The global Web Crypto (Node's webcrypto), typed as the DOM's, as @peculiar/x509 expects.
x509.cryptoProvider.set(crypto);

export const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;
export const RENEW_BEFORE_MS = 30 * DAY;
const CA_LIFETIME_MS = 10 * 365 * DAY;
const LEAF_LIFETIME_MS = 365 * DAY;

export interface KeyPair {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  key: CryptoKey;
}

export async function loadCa(
  certPem: string | undefined,
  keyPem: string | undefined,
  now: Date,
): Promise<KeyPair | undefined> {
  if (!certPem || !keyPem) return undefined;
  try {
    const cert = new x509.X509Certificate(certPem);
    if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return undefined;
    const key = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decode(keyPem)[0], ALGORITHM, true, ['sign']);
    return { certPem, keyPem, cert, key };
  } catch {
    return undefined;
  }
}

/** Why a leaf certificate must be re-issued, or null when it can be kept. */
export function leafProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  ca: { cert: x509.X509Certificate },
  sans: string[],
  now: Date,
  caKept: boolean,
  subject?: string,
): string | null {
  if (!certPem || !keyPem) return 'missing';
  if (!caKept) return 'new CA';
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch {
    return 'unparsable';
  }
  if (cert.issuer !== ca.cert.subject) return 'not signed by the CA';
  if (subject !== undefined && cert.subject !== subject) return `subject is not ${subject}`;
  if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS)
    return `expires ${cert.notAfter.toISOString().slice(0, 10)}`;
  const covered = new Set(subjectAltNames(cert));
  const missing = sans.filter((s) => !covered.has(s));
  return missing.length ? `SAN ${missing.join(', ')} missing` : null;
}

export function subjectAltNames(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return ext ? ext.names.items.map((n) => n.value) : [];
}

export async function issueCa(federationName: string, now: Date): Promise<KeyPair> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${federationName}-federation-ca`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey, certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

/** A certificate's subject: the user name as CN, its groups as O. */
export function subjectOf(cn: string, groups: string[]): string {
  return [`CN=${cn}`, ...groups.map((g) => `O=${g}`)].join(', ');
}

export async function issueLeaf(ca: KeyPair, subject: string, sans: string[], now: Date): Promise<KeyPair> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const server = sans.length > 0;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (server) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        sans.map((value): x509.JsonGeneralName => ({ type: isIP(value) ? 'ip' : 'dns', value })),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(Math.min(now.getTime() + LEAF_LIFETIME_MS, ca.cert.notAfter.getTime())),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { cert, key: keys.privateKey, certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

export async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function serialNumber(): string {
  // Positive (high bit clear) 16-byte serial, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}
