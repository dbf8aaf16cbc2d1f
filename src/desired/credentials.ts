// The federation API server's credentials: a CA, its serving certificate, client certificates
// (admin, controller manager), the service-account signing key pair, and the token / basic-auth
// files. Generated once, kept in the credentials Secret, and reused on every later run; a
// certificate is re-issued only when missing, unparsable, not signed by the CA, not matching its
// key, lacking a required SAN, or within 30 days of expiry.
import { randomBytes } from 'node:crypto';
import { issuer, leafProblem, loadCa, subjectOf } from './certificates.js';
import type { Pem } from './issue-certificates.js';

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
  webhookClientCert: 'webhook-client.crt',
  webhookClientKey: 'webhook-client.key',
  dnsCert: 'dns.crt',
  dnsKey: 'dns.key',
  externalDnsCert: 'external-dns.crt',
  externalDnsKey: 'external-dns.key',
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
    // KubeFed's admission webhook, with the rights KubeFed's chart gives it (read-only).
    webhook: `kubefed-action:${federationName}:webhook`,
    // The DNS controller: federated Services and members read, records written.
    dns: `kubefed-action:${federationName}:dns`,
    // external-dns: records read, their status written.
    externalDns: `kubefed-action:${federationName}:external-dns`,
  };
}

/** The files that are private keys or secrets (masked in logs). */
export const SECRET_FILES = [
  FILES.caKey,
  FILES.serverKey,
  FILES.adminKey,
  FILES.controllerManagerKey,
  FILES.kubeControllerManagerKey,
  FILES.webhookKey,
  FILES.webhookClientKey,
  FILES.dnsKey,
  FILES.externalDnsKey,
  FILES.serviceAccountKey,
  FILES.tokens,
  FILES.basicAuth,
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
export async function ensureCredentials(
  existing: Record<string, string>,
  opts: CredentialOptions,
): Promise<Credentials> {
  const files: Record<string, string> = {};
  const issued: string[] = [];
  const keep = (...names: string[]) => names.forEach((n) => (files[n] = existing[n]));

  const kept = loadCa(existing[FILES.caCert], existing[FILES.caKey], opts.now);
  let ca: Pem;
  if (kept) {
    ca = kept;
    keep(FILES.caCert, FILES.caKey);
  } else {
    ca = await (await issuer()).issueCa(opts.federationName, opts.now);
    files[FILES.caCert] = ca.certPem;
    files[FILES.caKey] = ca.keyPem;
    issued.push(existing[FILES.caCert] ? 'CA (missing key, unparsable or expiring)' : 'CA');
  }

  const who = identities(opts.federationName);
  // Each controller has its own identity, bound in the federation API to the rights it needs
  // (KubeFed's to those KubeFed's chart gives it); only the admin (the action itself) is
  // system:masters. A leaf with SANs is a serving certificate, the others client certificates.
  const client = (cert: string, key: string, cn: string) => ({
    cert,
    key,
    cn,
    groups: [] as string[],
    sans: [] as string[],
  });
  const leaves = [
    { ...client(FILES.serverCert, FILES.serverKey, `${opts.federationName}-apiserver`), sans: opts.sans },
    { ...client(FILES.adminCert, FILES.adminKey, who.admin), groups: ['system:masters'] },
    client(FILES.controllerManagerCert, FILES.controllerManagerKey, who.controllerManager),
    client(FILES.kubeControllerManagerCert, FILES.kubeControllerManagerKey, who.kubeControllerManager),
    { ...client(FILES.webhookCert, FILES.webhookKey, `${opts.federationName}-webhook`), sans: opts.webhookSans },
    client(FILES.webhookClientCert, FILES.webhookClientKey, who.webhook),
    client(FILES.dnsCert, FILES.dnsKey, who.dns),
    client(FILES.externalDnsCert, FILES.externalDnsKey, who.externalDns),
  ];
  for (const leaf of leaves) {
    const subject = subjectOf(leaf.cn, leaf.groups);
    const reason = leafProblem(existing[leaf.cert], existing[leaf.key], kept?.publicKey, leaf.sans, opts.now, subject);
    if (!reason) {
      keep(leaf.cert, leaf.key);
      continue;
    }
    const pair = await (await issuer()).issueLeaf(ca, subject, leaf.sans, opts.now);
    files[leaf.cert] = pair.certPem;
    files[leaf.key] = pair.keyPem;
    issued.push(`${leaf.cert} (${reason})`);
  }

  if (existing[FILES.serviceAccountKey] && existing[FILES.serviceAccountPublicKey]) {
    keep(FILES.serviceAccountKey, FILES.serviceAccountPublicKey);
  } else {
    const keys = await (await issuer()).issueServiceAccountKeys();
    files[FILES.serviceAccountKey] = keys.keyPem;
    files[FILES.serviceAccountPublicKey] = keys.publicKeyPem;
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

/** The admin token from token.csv, when token auth is on. */
export function adminToken(files: Record<string, string>): string | undefined {
  return files[FILES.tokens]?.split(',')[0];
}
