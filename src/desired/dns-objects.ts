// Federated service DNS, as pure functions from the spec to manifests: on the host, the DNS
// controller's container (in the controller manager's pod), external-dns's Deployment and their
// kubeconfig; in the federation API, external-dns's DNSEndpoint CRD and the rights of the DNS
// identity the two share.
import {
  ControlPlaneInputs,
  deployment,
  federationKubeconfig,
  hostNames,
  inClusterServer,
  secret,
} from './control-plane.js';
import { FILES, identities } from './credentials.js';
import { PROVIDER_DIR, PROVIDER_FILES } from '../inputs/dns-provider.js';
import { DNS_ENDPOINT_GROUP, DNS_ENDPOINT_VERSION } from './dns-records.js';
import { FEDERATED_GROUP } from './federated-types.js';
import type { Spec } from '../inputs/spec.js';
import { KUBEFED_GROUP, crd } from './kubefed-crds.js';
import { CREDENTIALS_HASH_ANNOTATION, KubeObject, canonicalJson, ownedBy, ownedBySelector, sha256 } from './objects.js';

const DNS_KUBECONFIG_DIR = '/etc/kubefed-dns/kubeconfig';
const DNS_KUBECONFIG = `${DNS_KUBECONFIG_DIR}/kubeconfig`;
/** external-dns's metrics and /healthz port (its default). */
export const EXTERNAL_DNS_PORT = 7979;

/** The kubeconfig of the DNS identity, for the DNS controller and external-dns. */
export function dnsKubeconfig({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const kubeconfig = federationKubeconfig({
    name: spec.federationName,
    server: inClusterServer(spec),
    caPem: credentials[FILES.caCert],
    certPem: credentials[FILES.dnsCert],
    keyPem: credentials[FILES.dnsKey],
  });
  return secret(spec, hostNames(spec.federationName).dnsKubeconfig, { kubeconfig }, 'federation-dns');
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

/** The DNS controller: the project's image, run as `kubefed dns-controller`. */
export function dnsControllerContainer(spec: Spec): object {
  return {
    name: 'dns-controller',
    image: spec.dns.controllerImage,
    args: [
      'dns-controller',
      `--kubeconfig=${DNS_KUBECONFIG}`,
      `--federation-name=${spec.federationName}`,
      `--zone=${spec.dns.zone}`,
      `--kubefed-namespace=${spec.namespace}`,
    ],
    volumeMounts: [{ name: 'dns-kubeconfig', mountPath: DNS_KUBECONFIG_DIR, readOnly: true }],
  };
}

export function dnsKubeconfigVolume(spec: Spec): object {
  return { name: 'dns-kubeconfig', secret: { secretName: hostNames(spec.federationName).dnsKubeconfig } };
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
  return deployment(
    spec,
    hostNames(spec.federationName).externalDns,
    'federation-external-dns',
    {
      containers: [
        {
          name: 'external-dns',
          image: spec.dns.externalDnsImage,
          args: externalDnsArgs(spec),
          // No empty list: the server drops it, and the Deployment would differ on every run.
          ...(Object.keys(spec.dns.settings.env).length
            ? { env: Object.entries(spec.dns.settings.env).map(([name, value]) => ({ name, value })) }
            : {}),
          ports: [{ name: 'http', containerPort: EXTERNAL_DNS_PORT, protocol: 'TCP' }],
          volumeMounts: [
            { name: 'dns-kubeconfig', mountPath: DNS_KUBECONFIG_DIR, readOnly: true },
            { name: 'provider-config', mountPath: PROVIDER_DIR, readOnly: true },
          ],
        },
      ],
      volumes: [
        dnsKubeconfigVolume(spec),
        { name: 'provider-config', secret: { secretName: hostNames(spec.federationName).dnsProviderConfig } },
      ],
    },
    {
      [CREDENTIALS_HASH_ANNOTATION]: sha256(
        canonicalJson([
          credentials[FILES.dnsCert],
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

/** What the DNS identity may do in the federation API: read services and members, keep records. */
export function dnsRights(spec: Spec): KubeObject[] {
  const name = identities(spec.federationName).dns;
  const labels = ownedBy(spec.federationName);
  const rbac = 'rbac.authorization.k8s.io/v1';
  const read = ['get', 'list', 'watch'];
  return [
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name, labels },
      rules: [
        { apiGroups: [FEDERATED_GROUP], resources: ['federatedservices'], verbs: read },
        { apiGroups: [KUBEFED_GROUP], resources: ['federatedservicestatuses', 'kubefedclusters'], verbs: read },
        {
          apiGroups: [DNS_ENDPOINT_GROUP],
          resources: ['dnsendpoints'],
          verbs: [...read, 'create', 'update', 'delete'],
        },
        // external-dns records what it has published.
        { apiGroups: [DNS_ENDPOINT_GROUP], resources: ['dnsendpoints/status'], verbs: ['update', 'patch'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name }],
    },
  ];
}
