// Issuing the federation's certificates and keys, with @peculiar/x509 (Node has no certificate
// builder). Loaded only when something must be issued (certificates.ts, issuer()): a re-run
// issues nothing, and evaluating this stack (x509, ASN.1 schemas declared with decorators, the
// Reflect metadata polyfill) at every start cost its start-up about 14 ms (medians of eleven).
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

// The global Web Crypto (Node's webcrypto), typed as the DOM's, as @peculiar/x509 expects.
x509.cryptoProvider.set(crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;
const CA_LIFETIME_MS = 10 * 365 * DAY;
const LEAF_LIFETIME_MS = 365 * DAY;

/** A certificate and its private key, as PEM. */
export interface Pem {
  certPem: string;
  keyPem: string;
}

export async function issueCa(federationName: string, now: Date): Promise<Pem> {
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
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

/** A leaf `caPem` signs: a serving certificate for `sans`, or with none a client certificate. */
export async function issueLeaf(caPem: Pem, subject: string, sans: string[], now: Date): Promise<Pem> {
  const ca = {
    cert: new x509.X509Certificate(caPem.certPem),
    key: await crypto.subtle.importKey('pkcs8', x509.PemConverter.decode(caPem.keyPem)[0], ALGORITHM, false, ['sign']),
  };
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
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

/** The service accounts' signing key pair: the private key and the public key, as PEM. */
export async function issueServiceAccountKeys(): Promise<{ keyPem: string; publicKeyPem: string }> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  return {
    keyPem: await exportPrivateKey(keys.privateKey),
    publicKeyPem: x509.PemConverter.encode(await crypto.subtle.exportKey('spki', keys.publicKey), 'PUBLIC KEY'),
  };
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function serialNumber(): string {
  // Positive (high bit clear) 16-byte serial, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}
