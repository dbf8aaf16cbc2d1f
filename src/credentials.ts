// The federation API server's credentials: a CA, its serving certificate, client certificates
// (admin, controller manager), the service-account signing key pair, and the token / basic-auth
// files. Generated once, kept in the credentials Secret, and reused on every later run; a
// certificate is re-issued only when missing, unparsable, lacking a required SAN, or within 30
// days of expiry.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

// The global Web Crypto (Node's webcrypto), typed as the DOM's, as @peculiar/x509 expects.
x509.cryptoProvider.set(crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;
export const RENEW_BEFORE_MS = 30 * DAY;
const CA_LIFETIME_MS = 10 * 365 * DAY;
const LEAF_LIFETIME_MS = 365 * DAY;

/** The credentials Secret's keys (file names inside the API server pod). */
export const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  serverCert: 'server.crt',
  serverKey: 'server.key',
  adminCert: 'admin.crt',
  adminKey: 'admin.key',
  controllerManagerCert: 'controller-manager.crt',
  controllerManagerKey: 'controller-manager.key',
  kubeControllerManagerCert: 'kube-controller-manager.crt',
  kubeControllerManagerKey: 'kube-controller-manager.key',
  webhookCert: 'webhook.crt',
  webhookKey: 'webhook.key',
  dnsCert: 'dns.crt',
  dnsKey: 'dns.key',
  serviceAccountKey: 'sa.key',
  serviceAccountPublicKey: 'sa.pub',
  tokens: 'token.csv',
  basicAuth: 'basicauth.csv',
} as const;

/** The user names the federation API knows each client certificate by. */
export function identities(federationName: string) {
  return {
    admin: 'admin',
    controllerManager: `kubefed-action:${federationName}:controller-manager`,
    kubeControllerManager: 'system:kube-controller-manager',
    // The DNS controller and external-dns: federated Services and members read, records written.
    dns: `kubefed-action:${federationName}:dns`,
  };
}

/** The files that are private keys or secrets (masked in logs). */
export const SECRET_FILES = [
  FILES.caKey, FILES.serverKey, FILES.adminKey, FILES.controllerManagerKey, FILES.kubeControllerManagerKey,
  FILES.webhookKey, FILES.dnsKey, FILES.serviceAccountKey, FILES.tokens, FILES.basicAuth,
] as const;

export interface CredentialOptions {
  federationName: string;
  /** DNS names and IP addresses the serving certificate must cover. */
  sans: string[];
  /** DNS names the admission webhook's serving certificate must cover. */
  webhookSans: string[];
  tokenAuth: boolean;
  basicAuth: boolean;
  now: Date;
}

export interface Credentials {
  /** File name → content: the credentials Secret's data. */
  files: Record<string, string>;
  /** What was (re-)issued, and why; empty when everything was reused. */
  issued: string[];
}

/** Reuses what `existing` holds where still good; issues the rest. */
export async function ensureCredentials(existing: Record<string, string>, opts: CredentialOptions): Promise<Credentials> {
  const files: Record<string, string> = {};
  const issued: string[] = [];
  const keep = (...names: string[]) => names.forEach((n) => (files[n] = existing[n]));

  let ca = await loadCa(existing, opts.now);
  const caKept = ca !== undefined;
  if (ca) keep(FILES.caCert, FILES.caKey);
  else {
    ca = await issueCa(opts.federationName, opts.now);
    files[FILES.caCert] = ca.certPem;
    files[FILES.caKey] = ca.keyPem;
    issued.push(existing[FILES.caCert] ? 'CA (missing key, unparsable or expiring)' : 'CA');
  }

  const who = identities(opts.federationName);
  // The KubeFed controller manager has its own identity, bound in the federation API to the
  // rights KubeFed's chart gives it; only the admin (the action itself) is system:masters.
  const leaves = [
    { cert: FILES.serverCert, key: FILES.serverKey, cn: `${opts.federationName}-apiserver`, groups: [], sans: opts.sans },
    { cert: FILES.adminCert, key: FILES.adminKey, cn: who.admin, groups: ['system:masters'], sans: [] },
    { cert: FILES.controllerManagerCert, key: FILES.controllerManagerKey, cn: who.controllerManager, groups: [], sans: [] },
    { cert: FILES.kubeControllerManagerCert, key: FILES.kubeControllerManagerKey, cn: who.kubeControllerManager, groups: [], sans: [] },
    { cert: FILES.webhookCert, key: FILES.webhookKey, cn: `${opts.federationName}-webhook`, groups: [], sans: opts.webhookSans },
    { cert: FILES.dnsCert, key: FILES.dnsKey, cn: who.dns, groups: [], sans: [] },
  ];
  for (const leaf of leaves) {
    const subject = subjectOf(leaf.cn, leaf.groups);
    const reason = leafProblem(existing[leaf.cert], existing[leaf.key], ca, leaf.sans, opts.now, caKept, subject);
    if (!reason) {
      keep(leaf.cert, leaf.key);
      continue;
    }
    const pair = await issueLeaf(ca, subject, leaf.sans, opts.now);
    files[leaf.cert] = pair.certPem;
    files[leaf.key] = pair.keyPem;
    issued.push(`${leaf.cert} (${reason})`);
  }

  if (existing[FILES.serviceAccountKey] && existing[FILES.serviceAccountPublicKey]) {
    keep(FILES.serviceAccountKey, FILES.serviceAccountPublicKey);
  } else {
    const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    files[FILES.serviceAccountKey] = await exportPrivateKey(keys.privateKey);
    files[FILES.serviceAccountPublicKey] = x509.PemConverter.encode(await crypto.subtle.exportKey('spki', keys.publicKey), 'PUBLIC KEY');
    issued.push('service-account key pair');
  }

  if (opts.tokenAuth) {
    if (existing[FILES.tokens]) keep(FILES.tokens);
    else {
      files[FILES.tokens] = `${randomBytes(24).toString('hex')},admin,admin,"system:masters"\n`;
      issued.push('token');
    }
  }
  if (opts.basicAuth) {
    if (existing[FILES.basicAuth]) keep(FILES.basicAuth);
    else {
      files[FILES.basicAuth] = `${randomBytes(18).toString('base64url')},admin,admin,"system:masters"\n`;
      issued.push('basic-auth password');
    }
  }
  return { files, issued };
}

interface KeyPair {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function loadCa(existing: Record<string, string>, now: Date): Promise<KeyPair | undefined> {
  const certPem = existing[FILES.caCert];
  const keyPem = existing[FILES.caKey];
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
  if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return `expires ${cert.notAfter.toISOString().slice(0, 10)}`;
  const covered = new Set(subjectAltNames(cert));
  const missing = sans.filter((s) => !covered.has(s));
  return missing.length ? `SAN ${missing.join(', ')} missing` : null;
}

export function subjectAltNames(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return ext ? ext.names.items.map((n) => n.value) : [];
}

async function issueCa(federationName: string, now: Date): Promise<KeyPair> {
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
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey, certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

/** A certificate's subject: the user name as CN, its groups as O. */
function subjectOf(cn: string, groups: string[]): string {
  return [`CN=${cn}`, ...groups.map((g) => `O=${g}`)].join(', ');
}

async function issueLeaf(ca: KeyPair, subject: string, sans: string[], now: Date): Promise<KeyPair> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const server = sans.length > 0;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (server) {
    extensions.push(new x509.SubjectAlternativeNameExtension(sans.map((value): x509.JsonGeneralName => ({ type: isIP(value) ? 'ip' : 'dns', value }))));
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

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function serialNumber(): string {
  // Positive (high bit clear) 16-byte serial, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

/** The admin token from token.csv, when token auth is on. */
export function adminToken(files: Record<string, string>): string | undefined {
  return files[FILES.tokens]?.split(',')[0];
}
