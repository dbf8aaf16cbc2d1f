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
import { RESOURCES, RUN_AS, restrictedContainer, restrictedPod } from './pod-security.js';

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
    // No Pod runs against the federation API, so nothing reads its `kubernetes` Service's
    // endpoints. The default (lease) reconciler would also make each shutdown wait ~20 s to
    // withdraw its lease from the etcd that a kubelet stops beside it in the same Pod: every
    // restart, Recreate rollout and destroy paid that.
    '--endpoint-reconciler-type=none',
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

/**
 * The files of the credentials Secret the API server reads (its flags name them), and no other:
 * the CA key, the admin key and the controllers' keys never reach its Pod.
 */
export function apiServerFiles(spec: Spec): string[] {
  return [
    FILES.caCert,
    FILES.serverCert,
    FILES.serverKey,
    FILES.serviceAccountKey,
    FILES.serviceAccountPublicKey,
    ...(spec.apiServer.enableTokenAuth ? [FILES.tokens] : []),
    ...(spec.apiServer.enableBasicAuth ? [FILES.basicAuth] : []),
  ];
}

function apiServerPods({ spec, credentials, address }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  const etcdData = spec.etcd.persistentStorage
    ? { name: 'etcd-data', persistentVolumeClaim: { claimName: n.etcdClaim } }
    : { name: 'etcd-data', emptyDir: {} };
  const files = apiServerFiles(spec);
  const pod = {
    // etcd writes its volume as a non-root user: fsGroup makes the volume its group's.
    securityContext: restrictedPod(RUN_AS.kubernetes.gid),
    containers: [apiServerContainer(spec, address), etcdContainer(spec)],
    volumes: [
      { name: 'credentials', secret: { secretName: n.credentials, items: files.map((key) => ({ key, path: key })) } },
      etcdData,
    ],
  };
  // A new certificate or token must restart the server: the template changes with them.
  const mounted = Object.fromEntries(files.map((f) => [f, credentials[f]]));
  const restartOn = { [CREDENTIALS_HASH_ANNOTATION]: sha256(canonicalJson(mounted)).slice(0, 32) };
  return deployment(spec, n.apiServer, 'federation-apiserver', pod, restartOn);
}

/** Kubernetes' server images put the binary in /usr/local/bin (build/server-image/Dockerfile). */
const KUBE_APISERVER = '/usr/local/bin/kube-apiserver';
/** etcd's image has no entrypoint; its binaries are in /usr/local/bin (cluster/images/etcd/Dockerfile). */
const ETCD = '/usr/local/bin/etcd';

function apiServerContainer(spec: Spec, address: string) {
  return {
    name: 'apiserver',
    image: spec.apiServer.image,
    // The image's entrypoint is /go-runner (a log wrapper); the binary is run directly.
    command: [KUBE_APISERVER],
    args: apiServerArgs(spec, address),
    ports: [{ name: 'https', containerPort: API_SERVER_CONTAINER_PORT, protocol: 'TCP' }],
    // Serving at all (with anonymous auth off, /readyz would answer 401); the action
    // waits for the federation API's /readyz with its own credentials.
    readinessProbe: { tcpSocket: { port: API_SERVER_CONTAINER_PORT }, periodSeconds: 2 },
    resources: RESOURCES.apiServer,
    // The binary carries the file capability cap_net_bind_service=+ep (build/server-image/
    // kube-apiserver/Dockerfile), and the kernel refuses to exec such a file when the capability
    // is outside the bounding set ("operation not permitted", kubernetes/kubernetes#100914):
    // the one capability "restricted" allows is added back. It serves on 8443 and needs no more.
    securityContext: restrictedContainer(RUN_AS.kubernetes, ['NET_BIND_SERVICE']),
    volumeMounts: [{ name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true }],
  };
}

/** The federation's own etcd, beside the API server in its pod, reachable only from it. */
function etcdContainer(spec: Spec) {
  return {
    name: 'etcd',
    image: spec.etcd.image,
    command: [ETCD],
    args: [
      '--data-dir=/var/etcd/data',
      '--listen-client-urls=http://127.0.0.1:2379',
      '--advertise-client-urls=http://127.0.0.1:2379',
    ],
    resources: RESOURCES.etcd,
    // It writes only its data directory, on the volume.
    securityContext: restrictedContainer(RUN_AS.kubernetes),
    volumeMounts: [{ name: 'etcd-data', mountPath: '/var/etcd' }],
  };
}
