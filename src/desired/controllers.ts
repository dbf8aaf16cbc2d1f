// The controllers of the federation, on the host cluster, as pure functions from the spec:
// KubeFed's controller manager (with a kube-controller-manager beside it for the federation
// API's garbage collection and namespace deletion) and KubeFed's admission webhook. Each
// container mounts its own identity's kubeconfig and nothing else.
import {
  ControlPlaneInputs,
  KUBECONFIG_KEY,
  deployment,
  hostNames,
  identityKubeconfig,
  mergeFlags,
  meta,
  podLabels,
  secret,
} from './control-plane.js';
import { FILES } from './credentials.js';
import { RESOURCES, RUN_AS, restrictedContainer, restrictedPod } from './pod-security.js';
import type { Spec } from '../inputs/spec.js';
import { CREDENTIALS_HASH_ANNOTATION, KubeObject, canonicalJson, sha256 } from './objects.js';
import { kubeFedConfig } from './federation-objects.js';

/**
 * The KubeFedConfig KubeFed's controller manager started with: it reads its configuration (the
 * feature gates among it) once, at start, so a change must roll it.
 */
export const KUBEFED_CONFIG_HASH_ANNOTATION = 'kubefed-action.io/kubefed-config-hash';

const KUBECONFIG_DIR = '/etc/federation/controller-manager';
const KCM_KUBECONFIG_DIR = '/etc/federation/kube-controller-manager';
const WEBHOOK_KUBECONFIG_DIR = '/etc/federation/webhook';
const SERVING_CERT_DIR = '/var/serving-cert';
const HEALTHZ_PORT = 8080;
const METRICS_PORT = 9090;
const KCM_PORT = 10257;
const WEBHOOK_PORT = 8443;
/**
 * KubeFed's image holds one binary, /hyperfed/hyperfed, linked as each of its commands, which
 * it tells apart by argv[0] (kubefed v0.10.0 images/kubefed/Dockerfile; its chart's
 * deployments.yaml runs /hyperfed/controller-manager and /hyperfed/webhook).
 */
const HYPERFED = '/hyperfed';
/** Kubernetes' server images put the binary in /usr/local/bin (build/server-image/Dockerfile). */
const KUBE_CONTROLLER_MANAGER = '/usr/local/bin/kube-controller-manager';

/** KubeFed's controller manager's kubeconfig: its own identity, nothing else. */
export function controllerManagerKubeconfig(input: ControlPlaneInputs): KubeObject {
  return identityKubeconfig(
    input,
    hostNames(input.spec.federationName).controllerManagerKubeconfig,
    { cert: FILES.controllerManagerCert, key: FILES.controllerManagerKey },
    'federation-controller-manager',
  );
}

/** kube-controller-manager's kubeconfig (system:kube-controller-manager). */
export function kubeControllerManagerKubeconfig(input: ControlPlaneInputs): KubeObject {
  return identityKubeconfig(
    input,
    hostNames(input.spec.federationName).kubeControllerManagerKubeconfig,
    { cert: FILES.kubeControllerManagerCert, key: FILES.kubeControllerManagerKey },
    'federation-controller-manager',
  );
}

/** The webhook's own kubeconfig: a client identity with only the rights KubeFed's chart gives it. */
export function webhookKubeconfig(input: ControlPlaneInputs): KubeObject {
  return identityKubeconfig(
    input,
    hostNames(input.spec.federationName).webhookKubeconfig,
    { cert: FILES.webhookClientCert, key: FILES.webhookClientKey },
    'federation-webhook',
  );
}

/** The webhook's serving certificate, issued by the federation's CA, as a TLS Secret. */
export function webhookServingSecret({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const object = secret(
    spec,
    hostNames(spec.federationName).webhookServingCert,
    {
      'tls.crt': credentials[FILES.webhookCert],
      'tls.key': credentials[FILES.webhookKey],
    },
    'federation-webhook',
  );
  return { ...object, type: 'kubernetes.io/tls' };
}

/** KubeFed's own flags (see KUBEFED_CONTROLLER_MANAGER_FLAGS), then the overrides. */
export function controllerManagerArgs(spec: Spec): string[] {
  const args = [
    `--kubefed-namespace=${spec.namespace}`,
    `--kubeconfig=${KUBECONFIG_DIR}/${KUBECONFIG_KEY}`,
    `--healthz-addr=:${HEALTHZ_PORT}`,
    `--metrics-addr=:${METRICS_PORT}`,
    '--v=2',
  ];
  return mergeFlags(args, spec.controllerManager.argOverrides);
}

function kubeControllerManagerArgs(): string[] {
  const kubeconfig = `${KCM_KUBECONFIG_DIR}/${KUBECONFIG_KEY}`;
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    // Only what the federation API lacks: a namespace deleted in the federation finishes
    // terminating, and KubeFed's PropagatedVersions go with the objects that own them.
    '--controllers=garbagecollector,namespace',
    // Each controller acts as its own service account (bootstrap RBAC), not as this identity.
    '--use-service-account-credentials=true',
  ];
}

export function controllerManagerDeployment({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  return deployment(
    spec,
    n.controllerManager,
    'federation-controller-manager',
    {
      securityContext: restrictedPod(),
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: 'controller-manager',
          image: spec.controllerManager.image,
          command: [`${HYPERFED}/controller-manager`],
          args: controllerManagerArgs(spec),
          ports: [
            { name: 'healthz', containerPort: HEALTHZ_PORT, protocol: 'TCP' },
            { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
          ],
          readinessProbe: { httpGet: { path: '/healthz', port: HEALTHZ_PORT }, periodSeconds: 3 },
          livenessProbe: {
            httpGet: { path: '/healthz', port: HEALTHZ_PORT },
            initialDelaySeconds: 5,
            periodSeconds: 3,
            timeoutSeconds: 3,
          },
          resources: RESOURCES.kubefedControllerManager,
          securityContext: restrictedContainer(RUN_AS.kubefed),
          volumeMounts: [{ name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true }],
        },
        {
          name: 'kube-controller-manager',
          image: spec.kubeControllerManager.image,
          // The image's entrypoint is /go-runner (a log wrapper); the binary is run directly.
          command: [KUBE_CONTROLLER_MANAGER],
          args: kubeControllerManagerArgs(),
          ports: [{ name: 'kcm-https', containerPort: KCM_PORT, protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/healthz', port: KCM_PORT, scheme: 'HTTPS' }, periodSeconds: 3 },
          resources: RESOURCES.kubeControllerManager,
          // Its serving certificate is made in memory (no --cert-dir): the root stays read-only.
          securityContext: restrictedContainer(RUN_AS.kubernetes),
          volumeMounts: [{ name: 'kcm-kubeconfig', mountPath: KCM_KUBECONFIG_DIR, readOnly: true }],
        },
      ],
      volumes: [
        { name: 'kubeconfig', secret: { secretName: n.controllerManagerKubeconfig } },
        { name: 'kcm-kubeconfig', secret: { secretName: n.kubeControllerManagerKubeconfig } },
      ],
    },
    {
      [CREDENTIALS_HASH_ANNOTATION]: sha256(
        canonicalJson([
          credentials[FILES.controllerManagerCert],
          credentials[FILES.kubeControllerManagerCert],
          credentials[FILES.caCert],
        ]),
      ).slice(0, 32),
      [KUBEFED_CONFIG_HASH_ANNOTATION]: sha256(canonicalJson(kubeFedConfig(spec).spec)).slice(0, 32),
    },
  );
}

export function webhookService(spec: Spec): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(spec, hostNames(spec.federationName).webhook, 'federation-webhook'),
    spec: {
      type: 'ClusterIP',
      selector: podLabels(spec, 'federation-webhook'),
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: WEBHOOK_PORT }],
    },
  };
}

/**
 * KubeFed's admission webhook: the same image, run as `webhook`, serving the certificate the
 * federation's CA issued for its Service; it reads the federation API's discovery at start,
 * as an identity of its own.
 */
export function webhookDeployment({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  return deployment(
    spec,
    n.webhook,
    'federation-webhook',
    {
      securityContext: restrictedPod(),
      containers: [
        {
          name: 'admission-webhook',
          image: spec.controllerManager.image,
          command: [`${HYPERFED}/webhook`],
          args: [
            `--secure-port=${WEBHOOK_PORT}`,
            `--cert-dir=${SERVING_CERT_DIR}`,
            `--kubeconfig=${WEBHOOK_KUBECONFIG_DIR}/${KUBECONFIG_KEY}`,
            '--v=2',
          ],
          ports: [
            { name: 'https', containerPort: WEBHOOK_PORT, protocol: 'TCP' },
            { name: 'metrics', containerPort: HEALTHZ_PORT, protocol: 'TCP' },
          ],
          readinessProbe: { httpGet: { path: '/readyz/', port: WEBHOOK_PORT, scheme: 'HTTPS' }, periodSeconds: 2 },
          resources: RESOURCES.webhook,
          securityContext: restrictedContainer(RUN_AS.kubefed),
          volumeMounts: [
            { name: 'serving-cert', mountPath: SERVING_CERT_DIR, readOnly: true },
            { name: 'kubeconfig', mountPath: WEBHOOK_KUBECONFIG_DIR, readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: 'serving-cert', secret: { secretName: n.webhookServingCert } },
        { name: 'kubeconfig', secret: { secretName: n.webhookKubeconfig } },
      ],
    },
    {
      [CREDENTIALS_HASH_ANNOTATION]: sha256(
        canonicalJson([
          credentials[FILES.webhookCert],
          credentials[FILES.webhookClientCert],
          credentials[FILES.caCert],
        ]),
      ).slice(0, 32),
    },
  );
}
