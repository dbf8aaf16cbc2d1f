// The controllers of the federation, on the host cluster, as pure functions from the spec:
// KubeFed's controller manager (with a kube-controller-manager beside it for the federation
// API's garbage collection and namespace deletion, and the project's DNS controller) and
// KubeFed's admission webhook.
import {
  ControlPlaneInputs,
  deployment,
  federationKubeconfig,
  hostNames,
  inClusterServer,
  mergeFlags,
  meta,
  podLabels,
  secret,
} from './control-plane.js';
import { FILES } from './credentials.js';
import { dnsControllerContainer, dnsKubeconfigVolume } from './dns-objects.js';
import type { Spec } from '../inputs/spec.js';
import { CREDENTIALS_HASH_ANNOTATION, KubeObject, canonicalJson, sha256 } from './objects.js';

const KUBECONFIG_DIR = '/etc/federation/controller-manager';
const KUBEFED_KUBECONFIG = 'kubeconfig';
const KCM_KUBECONFIG = 'kube-controller-manager.kubeconfig';
const SERVING_CERT_DIR = '/var/serving-cert';
const HEALTHZ_PORT = 8080;
const METRICS_PORT = 9090;
const KCM_PORT = 10257;
const WEBHOOK_PORT = 8443;

/** Kubeconfigs for the federation API: KubeFed's identity, and kube-controller-manager's. */
export function controllerManagerKubeconfig({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const kubeconfig = (certPem: string, keyPem: string) =>
    federationKubeconfig({
      name: spec.federationName,
      server: inClusterServer(spec),
      caPem: credentials[FILES.caCert],
      certPem,
      keyPem,
    });
  return secret(
    spec,
    hostNames(spec.federationName).controllerManagerKubeconfig,
    {
      [KUBEFED_KUBECONFIG]: kubeconfig(
        credentials[FILES.controllerManagerCert],
        credentials[FILES.controllerManagerKey],
      ),
      [KCM_KUBECONFIG]: kubeconfig(
        credentials[FILES.kubeControllerManagerCert],
        credentials[FILES.kubeControllerManagerKey],
      ),
    },
    'federation-controller-manager',
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
    `--kubeconfig=${KUBECONFIG_DIR}/${KUBEFED_KUBECONFIG}`,
    `--healthz-addr=:${HEALTHZ_PORT}`,
    `--metrics-addr=:${METRICS_PORT}`,
    '--v=2',
  ];
  return mergeFlags(args, spec.controllerManager.argOverrides);
}

/** kube-controller-manager of the API server's release: the same repository path and tag. */
export function kubeControllerManagerImage(apiServerImage: string): string {
  const match = /^(.*\/)?kube-apiserver([:@].*)?$/.exec(apiServerImage);
  if (match) return `${match[1] ?? ''}kube-controller-manager${match[2] ?? ''}`;
  const tag = /:([^:/@]+)$/.exec(apiServerImage)?.[1] ?? 'latest';
  return `registry.k8s.io/kube-controller-manager:${tag}`;
}

function kubeControllerManagerArgs(): string[] {
  const kubeconfig = `${KUBECONFIG_DIR}/${KCM_KUBECONFIG}`;
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
  const mounts = [{ name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true }];
  return deployment(
    spec,
    n.controllerManager,
    'federation-controller-manager',
    {
      serviceAccountName: n.controllerManager,
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: 'controller-manager',
          image: spec.controllerManager.image,
          command: ['/hyperfed/controller-manager'],
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
          volumeMounts: mounts,
        },
        dnsControllerContainer(spec),
        {
          name: 'kube-controller-manager',
          image: kubeControllerManagerImage(spec.apiServer.image),
          command: ['kube-controller-manager'],
          args: kubeControllerManagerArgs(),
          ports: [{ name: 'kcm-https', containerPort: KCM_PORT, protocol: 'TCP' }],
          readinessProbe: { httpGet: { path: '/healthz', port: KCM_PORT, scheme: 'HTTPS' }, periodSeconds: 3 },
          volumeMounts: mounts,
        },
      ],
      volumes: [
        { name: 'kubeconfig', secret: { secretName: n.controllerManagerKubeconfig } },
        dnsKubeconfigVolume(spec),
      ],
    },
    {
      [CREDENTIALS_HASH_ANNOTATION]: sha256(
        canonicalJson([
          credentials[FILES.controllerManagerCert],
          credentials[FILES.kubeControllerManagerCert],
          credentials[FILES.dnsCert],
          credentials[FILES.caCert],
        ]),
      ).slice(0, 32),
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
 * federation's CA issued for its Service; it reads the federation API's discovery at start
 * (with the controller manager's kubeconfig).
 */
export function webhookDeployment({ spec, credentials }: ControlPlaneInputs): KubeObject {
  const n = hostNames(spec.federationName);
  return deployment(
    spec,
    n.webhook,
    'federation-webhook',
    {
      containers: [
        {
          name: 'admission-webhook',
          image: spec.controllerManager.image,
          command: ['/hyperfed/webhook'],
          args: [
            `--secure-port=${WEBHOOK_PORT}`,
            `--cert-dir=${SERVING_CERT_DIR}`,
            `--kubeconfig=${KUBECONFIG_DIR}/${KUBEFED_KUBECONFIG}`,
            '--v=2',
          ],
          ports: [
            { name: 'https', containerPort: WEBHOOK_PORT, protocol: 'TCP' },
            { name: 'metrics', containerPort: HEALTHZ_PORT, protocol: 'TCP' },
          ],
          readinessProbe: { httpGet: { path: '/readyz/', port: WEBHOOK_PORT, scheme: 'HTTPS' }, periodSeconds: 2 },
          volumeMounts: [
            { name: 'serving-cert', mountPath: SERVING_CERT_DIR, readOnly: true },
            { name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: 'serving-cert', secret: { secretName: n.webhookServingCert } },
        { name: 'kubeconfig', secret: { secretName: n.controllerManagerKubeconfig } },
      ],
    },
    {
      [CREDENTIALS_HASH_ANNOTATION]: sha256(
        canonicalJson([credentials[FILES.webhookCert], credentials[FILES.controllerManagerCert]]),
      ).slice(0, 32),
    },
  );
}
