import { describe, expect, test } from '@jest/globals';
import * as x509 from '@peculiar/x509';
import { FILES, ensureCredentials } from '../src/desired/credentials.js';

function subjectAltNames(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return ext ? ext.names.items.map((n) => n.value) : [];
}

const opts = {
  federationName: 'fellowship',
  sans: ['fellowship-apiserver', '127.0.0.1', '10.0.10.20'],
  webhookSans: ['fellowship-webhook.federation-system.svc'],
  tokenAuth: false,
  basicAuth: false,
  now: new Date('2026-11-24T00:00:00Z'),
};

describe('ensureCredentials', () => {
  test('issues everything once, with the SANs and the admin identity', async () => {
    const { files, issued } = await ensureCredentials({}, opts);
    expect(issued).toEqual(
      expect.arrayContaining(['CA', 'server.crt (missing)', 'admin.crt (missing)', 'service-account key pair']),
    );
    const server = new x509.X509Certificate(files[FILES.serverCert]);
    expect(subjectAltNames(server)).toEqual(['fellowship-apiserver', '127.0.0.1', '10.0.10.20']);
    expect(await server.verify({ publicKey: new x509.X509Certificate(files[FILES.caCert]).publicKey })).toBe(true);
    expect(new x509.X509Certificate(files[FILES.adminCert]).subject).toBe('CN=admin, O=system:masters');
    expect(files[FILES.serviceAccountKey]).toContain('BEGIN PRIVATE KEY');
    expect(files[FILES.tokens]).toBeUndefined();
  });

  test('gives KubeFed its own identities, none of them system:masters, and the webhook its serving certificate', async () => {
    const { files } = await ensureCredentials({}, opts);
    expect(new x509.X509Certificate(files[FILES.controllerManagerCert]).subject).toBe(
      'CN=kubefed-action:fellowship:controller-manager',
    );
    expect(new x509.X509Certificate(files[FILES.kubeControllerManagerCert]).subject).toBe(
      'CN=system:kube-controller-manager',
    );
    expect(subjectAltNames(new x509.X509Certificate(files[FILES.webhookCert]))).toEqual([
      'fellowship-webhook.federation-system.svc',
    ]);
  });

  test('re-issues a client certificate whose identity changed (an older release made it system:masters)', async () => {
    const first = await ensureCredentials({}, opts);
    const admin = {
      ...first.files,
      [FILES.controllerManagerCert]: first.files[FILES.adminCert],
      [FILES.controllerManagerKey]: first.files[FILES.adminKey],
    };
    const again = await ensureCredentials(admin, opts);
    expect(again.issued).toEqual([
      'controller-manager.crt (subject is not CN=kubefed-action:fellowship:controller-manager)',
    ]);
  });

  test('re-issues the leaves another CA signed, though it has the same name', async () => {
    const ours = await ensureCredentials({}, opts);
    const theirs = await ensureCredentials({}, opts);
    const mixed = { ...ours.files, [FILES.adminCert]: theirs.files[FILES.adminCert] };
    const again = await ensureCredentials(mixed, opts);
    expect(again.issued).toEqual(['admin.crt (not signed by the CA)']);
  });

  test("re-issues a leaf whose key is not its certificate's", async () => {
    const { files } = await ensureCredentials({}, opts);
    const swapped = { ...files, [FILES.adminKey]: files[FILES.controllerManagerKey] };
    expect((await ensureCredentials(swapped, opts)).issued).toEqual(['admin.crt (its key is not its own)']);
  });

  test('reuses everything on the next run', async () => {
    const first = await ensureCredentials({}, opts);
    const again = await ensureCredentials(first.files, opts);
    expect(again.issued).toEqual([]);
    expect(again.files).toEqual(first.files);
  });

  test('re-issues only the serving certificate when a SAN is added', async () => {
    const first = await ensureCredentials({}, opts);
    const again = await ensureCredentials(first.files, { ...opts, sans: [...opts.sans, 'fed.example.com'] });
    expect(again.issued).toEqual(['server.crt (SAN fed.example.com missing)']);
    expect(again.files[FILES.adminCert]).toBe(first.files[FILES.adminCert]);
    expect(again.files[FILES.caCert]).toBe(first.files[FILES.caCert]);
  });

  test('re-issues certificates within 30 days of expiry', async () => {
    const first = await ensureCredentials({}, opts);
    const later = new Date(opts.now.getTime() + 340 * 24 * 3600 * 1000);
    const again = await ensureCredentials(first.files, { ...opts, now: later });
    expect(again.issued.filter((i) => i.includes('expires'))).toHaveLength(8);
    expect(again.files[FILES.caCert]).toBe(first.files[FILES.caCert]);
  });

  test('token auth adds a token, kept across runs', async () => {
    const first = await ensureCredentials({}, { ...opts, tokenAuth: true });
    expect(first.files[FILES.tokens]).toMatch(/^[0-9a-f]{48},admin,admin,"system:masters"\n$/);
    expect((await ensureCredentials(first.files, { ...opts, tokenAuth: true })).files[FILES.tokens]).toBe(
      first.files[FILES.tokens],
    );
  });
});
