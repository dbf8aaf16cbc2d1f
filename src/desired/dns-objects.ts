// Federated service DNS, as pure functions from the spec to manifests: on the host, the DNS
// controller's Deployment, external-dns's, and a kubeconfig of each one's own identity; in the
// federation API, external-dns's DNSEndpoint CRD and the rights of those two identities.
import { ControlPlaneInputs, deployment, hostNames, identityKubeconfig, secret } from './control-plane.js';
import { FILES, identities } from './credentials.js';
import { PROVIDER_DIR, PROVIDER_FILES } from '../inputs/dns-provider.js';
import { DNS_ENDPOINT_GROUP, DNS_ENDPOINT_VERSION } from './dns-records.js';
import { FEDERATED_GROUP } from './federated-types.js';
import type { Spec } from '../inputs/spec.js';
import { KUBEFED_GROUP, crd } from './kubefed-crds.js';
import { CREDENTIALS_HASH_ANNOTATION, KubeObject, canonicalJson, ownedBy, ownedBySelector, sha256 } from './objects.js';
import { RESOURCES, RUN_AS, restrictedContainer, restrictedPod } from './pod-security.js';

const DNS_KUBECONFIG_DIR = '/etc/kubefed-dns/kubeconfig';
const DNS_KUBECONFIG = `${DNS_KUBECONFIG_DIR}/kubeconfig`;
/** external-dns's metrics and /healthz port (its default). */
export const EXTERNAL_DNS_PORT = 7979;
/**
 * external-dns's binary: ko puts it at /ko-app/<the main package's base name> and makes it the
 * entrypoint (external-dns v0.19.0 .ko.yaml and Makefile: `ko build` of sigs.k8s.io/external-dns).
 */
const EXTERNAL_DNS = '/ko-app/external-dns';

/** The DNS controller's kubeconfig: its own identity (federated Services read, records kept). */
export function dnsKubeconfig(input: ControlPlaneInputs): KubeObject {
  const name = hostNames(input.spec.federationName).dnsKubeconfig;
  return identityKubeconfig(input, name, { cert: FILES.dnsCert, key: FILES.dnsKey }, 'federation-dns');
}

/** external-dns's kubeconfig: its own identity, which only reads the records. */
export function externalDnsKubeconfig(input: ControlPlaneInputs): KubeObject {
  const name = hostNames(input.spec.federationName).externalDnsKubeconfig;
  return identityKubeconfig(
    input,
    name,
    { cert: FILES.externalDnsCert, key: FILES.externalDnsKey },
    'federation-external-dns',
  );
}

/**
 * The guide's provider config, and the TLS files it names, for external-dns; empty when none
 * is given, so that it always says what the last run used (`kubefed join` reads it there).
 */
export function dnsProviderConfigSecret(spec: Spec): KubeObject {
  return secret(
    spec,
    hostNames(spec.federationName).dnsProviderConfig,
    { [PROVIDER_FILES.config]: spec.dns.providerConfig ?? '', ...spec.dns.settings.files },
    'federation-controller-manager',
  );
}

/**
 * The DNS controller in a Deployment of its own: it runs the project's image, and KubeFed's
 * controller manager must be available whatever becomes of that image. The image's entrypoint
 * is `node /app/dist/cli.js` (Dockerfile); the arguments name the command.
 */
export function dnsControllerDeployment({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  return deployment(
    spec,
    n.dnsController,
    'federation-dns-controller',
    {
      securityContext: restrictedPod(),
      containers: [
        {
          name: 'dns-controller',
          image: spec.dns.controllerImage,
          args: [
            'dns-controller',
            `--kubeconfig=${DNS_KUBECONFIG}`,
            `--federation-name=${spec.federationName}`,
            `--zone=${spec.dns.zone}`,
            `--kubefed-namespace=${spec.namespace}`,
          ],
          resources: RESOURCES.dnsController,
          securityContext: restrictedContainer(RUN_AS.project),
          volumeMounts: [{ name: 'dns-kubeconfig', mountPath: DNS_KUBECONFIG_DIR, readOnly: true }],
        },
      ],
      volumes: [{ name: 'dns-kubeconfig', secret: { secretName: n.dnsKubeconfig } }],
    },
    {
      [CREDENTIALS_HASH_ANNOTATION]: sha256(
        canonicalJson([credentials[FILES.dnsCert], credentials[FILES.caCert]]),
      ).slice(0, 32),
    },
  );
}

/**
 * external-dns's flags: the DNSEndpoints of this federation (and no other) from the federation
 * API, published by the provider, with the federation as the records' owner.
 */
export function externalDnsArgs(spec: Spec): string[] {
  return [
    '--source=crd',
    `--crd-source-apiversion=${DNS_ENDPOINT_GROUP}/${DNS_ENDPOINT_VERSION}`,
    '--crd-source-kind=DNSEndpoint',
    `--label-filter=${ownedBySelector(spec.federationName)}`,
    `--kubeconfig=${DNS_KUBECONFIG}`,
    `--provider=${spec.dns.settings.externalDnsProvider}`,
    ...spec.dns.settings.args,
    '--registry=txt',
    `--txt-owner-id=${spec.federationName}`,
    `--domain-filter=${spec.dns.zone.replace(/\.$/, '')}`,
    '--policy=sync',
    // A changed record is published within seconds (--events), the full pass is a safety net.
    // Cloud DNS APIs limit request rates: external-dns's 5 s between passes stays for them;
    // the coredns provider writes to etcd, which takes a pass a second.
    '--events',
    ...(spec.dns.provider === 'coredns' ? ['--min-event-sync-interval=1s'] : []),
    '--interval=1m',
  ];
}

/**
 * external-dns in a Deployment of its own: it depends on the DNS provider's credentials, and a
 * provider that refuses them must not make KubeFed's controller manager unavailable.
 */
export function externalDnsDeployment({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  return deployment(
    spec,
    n.externalDns,
    'federation-external-dns',
    {
      securityContext: restrictedPod(),
      containers: [
        {
          name: 'external-dns',
          image: spec.dns.externalDnsImage,
          command: [EXTERNAL_DNS],
          args: externalDnsArgs(spec),
          // No empty list: the server drops it, and the Deployment would differ on every run.
          ...(Object.keys(spec.dns.settings.env).length
            ? { env: Object.entries(spec.dns.settings.env).map(([name, value]) => ({ name, value })) }
            : {}),
          ports: [{ name: 'http', containerPort: EXTERNAL_DNS_PORT, protocol: 'TCP' }],
          resources: RESOURCES.externalDns,
          securityContext: restrictedContainer(RUN_AS.externalDns),
          volumeMounts: [
            { name: 'kubeconfig', mountPath: DNS_KUBECONFIG_DIR, readOnly: true },
            { name: 'provider-config', mountPath: PROVIDER_DIR, readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: 'kubeconfig', secret: { secretName: n.externalDnsKubeconfig } },
        { name: 'provider-config', secret: { secretName: n.dnsProviderConfig } },
      ],
    },
    {
      [CREDENTIALS_HASH_ANNOTATION]: sha256(
        canonicalJson([
          credentials[FILES.externalDnsCert],
          credentials[FILES.caCert],
          spec.dns.providerConfig ?? '',
          spec.dns.settings.files,
        ]),
      ).slice(0, 32),
    },
  );
}

/** external-dns's DNSEndpoint, as its own CRD (v0.19.0) declares it. */
export function dnsEndpointCrd(): KubeObject {
  const str = { type: 'string' };
  const object = crd({
    group: DNS_ENDPOINT_GROUP,
    version: DNS_ENDPOINT_VERSION,
    kind: 'DNSEndpoint',
    plural: 'dnsendpoints',
    properties: {
      spec: {
        type: 'object',
        properties: {
          endpoints: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                dnsName: str,
                labels: { type: 'object', additionalProperties: str },
                providerSpecific: { type: 'array', items: { type: 'object', properties: { name: str, value: str } } },
                recordTTL: { type: 'integer', format: 'int64' },
                recordType: str,
                setIdentifier: str,
                targets: { type: 'array', items: str },
              },
            },
          },
        },
      },
      status: { type: 'object', properties: { observedGeneration: { type: 'integer', format: 'int64' } } },
    },
  });
  // A *.k8s.io group is protected: the API server wants the approval external-dns's CRD names.
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/external-dns/pull/2007' },
    },
  };
}

/**
 * What the two DNS identities may do in the federation API: the DNS controller reads federated
 * Services, their collected status and the members, and keeps the records; external-dns only
 * reads the records and writes their status (as external-dns's chart grants for its crd
 * source, external-dns v0.19.0 charts/external-dns/templates/clusterrole.yaml).
 */
export function dnsRights(spec: Spec): KubeObject[] {
  const who = identities(spec.federationName);
  const read = ['get', 'list', 'watch'];
  return [
    ...clusterRights(spec, who.dns, [
      { apiGroups: [FEDERATED_GROUP], resources: ['federatedservices'], verbs: read },
      { apiGroups: [KUBEFED_GROUP], resources: ['federatedservicestatuses', 'kubefedclusters'], verbs: read },
      { apiGroups: [DNS_ENDPOINT_GROUP], resources: ['dnsendpoints'], verbs: [...read, 'create', 'update', 'delete'] },
    ]),
    ...clusterRights(spec, who.externalDns, [
      { apiGroups: [DNS_ENDPOINT_GROUP], resources: ['dnsendpoints'], verbs: read },
      { apiGroups: [DNS_ENDPOINT_GROUP], resources: ['dnsendpoints/status'], verbs: ['update', 'patch'] },
    ]),
  ];
}

/** A ClusterRole named after a user, with the given rules, bound to that user. */
function clusterRights(spec: Spec, user: string, rules: object[]): KubeObject[] {
  const metadata = { name: user, labels: ownedBy(spec.federationName) };
  const rbac = 'rbac.authorization.k8s.io/v1';
  return [
    { apiVersion: rbac, kind: 'ClusterRole', metadata, rules },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
    },
  ];
}
