// The federation API server's Deployment: its flags (the guide's, with the overrides merged in)
// and the inputs it keeps in annotations, so later commands can find the federation's settings.
import { isIP } from 'node:net';
import type { Spec } from '../inputs/spec.js';
import {
  API_SERVER_CONTAINER_PORT,
  CREDENTIALS_DIR,
  type ControlPlaneInputs,
  deployment,
  hostNames,
  mergeFlags,
} from './control-plane.js';
import { FILES } from './credentials.js';
import { CREDENTIALS_HASH_ANNOTATION, KubeObject, canonicalJson, sha256 } from './objects.js';

export function apiServerArgs(spec: Spec, address: string): string[] {
  const n = hostNames(spec.federationName);
  const file = (name: string) => `${CREDENTIALS_DIR}/${name}`;
  const args = [
    '--bind-address=0.0.0.0',
    `--secure-port=${API_SERVER_CONTAINER_PORT}`,
    ...(isIP(address) ? [`--advertise-address=${address}`] : []),
    '--etcd-servers=http://127.0.0.1:2379',
    `--client-ca-file=${file(FILES.caCert)}`,
    `--tls-cert-file=${file(FILES.serverCert)}`,
    `--tls-private-key-file=${file(FILES.serverKey)}`,
    `--service-account-key-file=${file(FILES.serviceAccountPublicKey)}`,
    `--service-account-signing-key-file=${file(FILES.serviceAccountKey)}`,
    `--service-account-issuer=https://${n.apiServer}.${spec.namespace}.svc`,
    '--service-cluster-ip-range=10.254.0.0/24',
    '--authorization-mode=RBAC',
    ...(spec.apiServer.enableTokenAuth ? [`--token-auth-file=${file(FILES.tokens)}`] : []),
    ...(spec.apiServer.enableBasicAuth ? [`--basic-auth-file=${file(FILES.basicAuth)}`] : []),
  ];
  return mergeFlags(args, spec.apiServer.argOverrides);
}

/**
 * The settings a later `kubefed join` needs and is not given (the guide passes it only the host
 * context), kept as inputs on the API server Deployment, keyed by their input names.
 */
export const SETTINGS_PREFIX = 'kubefed-action.io/';
const SETTINGS = ['dns-provider', 'dns-zone-name', 'api-server-service-type', 'api-server-advertise-address'] as const;

function settingsAnnotations(spec: Spec): Record<string, string> {
  const values: Record<(typeof SETTINGS)[number], string | undefined> = {
    'dns-provider': spec.dns.provider,
    'dns-zone-name': spec.dns.zone,
    'api-server-service-type': spec.apiServer.serviceType,
    'api-server-advertise-address': spec.apiServer.advertiseAddress,
  };
  return Object.fromEntries(SETTINGS.flatMap((k) => (values[k] ? [[`${SETTINGS_PREFIX}${k}`, values[k]]] : [])));
}

/** The inputs settingsAnnotations kept, read back from the Deployment's annotations. */
export function settingsOf(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    SETTINGS.flatMap((k) =>
      annotations?.[`${SETTINGS_PREFIX}${k}`] ? [[k, annotations[`${SETTINGS_PREFIX}${k}`]]] : [],
    ),
  );
}

export function apiServerDeployment(input: ControlPlaneInputs): KubeObject {
  const object = apiServerPods(input);
  return { ...object, metadata: { ...object.metadata, annotations: settingsAnnotations(input.spec) } };
}

function apiServerPods({ spec, credentials, address }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  const etcdData = spec.etcd.persistentStorage
    ? { name: 'etcd-data', persistentVolumeClaim: { claimName: n.etcdClaim } }
    : { name: 'etcd-data', emptyDir: {} };
  const pod = {
    containers: [apiServerContainer(spec, address), etcdContainer(spec)],
    volumes: [{ name: 'credentials', secret: { secretName: n.credentials } }, etcdData],
  };
  // A new certificate or token must restart the server: the template changes with them.
  const restartOn = { [CREDENTIALS_HASH_ANNOTATION]: sha256(canonicalJson(credentials)).slice(0, 32) };
  return deployment(spec, n.apiServer, 'federation-apiserver', pod, restartOn);
}

function apiServerContainer(spec: Spec, address: string) {
  return {
    name: 'apiserver',
    image: spec.apiServer.image,
    command: ['kube-apiserver'],
    args: apiServerArgs(spec, address),
    ports: [{ name: 'https', containerPort: API_SERVER_CONTAINER_PORT, protocol: 'TCP' }],
    // Serving at all (with anonymous auth off, /readyz would answer 401); the action
    // waits for the federation API's /readyz with its own credentials.
    readinessProbe: { tcpSocket: { port: API_SERVER_CONTAINER_PORT }, periodSeconds: 2 },
    volumeMounts: [{ name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true }],
  };
}

/** The federation's own etcd, beside the API server in its pod, reachable only from it. */
function etcdContainer(spec: Spec) {
  return {
    name: 'etcd',
    image: spec.etcd.image,
    command: ['etcd'],
    args: [
      '--data-dir=/var/etcd/data',
      '--listen-client-urls=http://127.0.0.1:2379',
      '--advertise-client-urls=http://127.0.0.1:2379',
    ],
    volumeMounts: [{ name: 'etcd-data', mountPath: '/var/etcd' }],
  };
}
