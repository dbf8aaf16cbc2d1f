// What every Pod the action deploys needs to be admitted under Pod Security "restricted" and to
// start on a real node: the user each image runs as, the security contexts, and resource
// requests. Each fact about an image is checked against the file that builds it (cited).

/** A user and group id; never 0. */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * The non-root ids each image runs as.
 * - Kubernetes' images (kube-apiserver, kube-controller-manager; etcd): distroless, whose
 *   /etc/passwd names 65532 "nonroot". kubernetes v1.34.4 build/server-image/Dockerfile and
 *   build/common.sh (base go-runner), cluster/images/etcd/Makefile (RUNNERIMAGE
 *   gcr.io/distroless/static); none sets USER, so without these ids they would run as root.
 * - KubeFed: `adduser -u 1001 hyperfed` and `USER hyperfed` (kubefed v0.10.0
 *   images/kubefed/Dockerfile); its chart runs it as 1001.
 * - external-dns: ko on gcr.io/distroless/static-debian12 (external-dns v0.19.0 .ko.yaml); its
 *   chart runs it as 65532:65532.
 * - The project's image: node:24-alpine's `node` user, 1000:1000 (Dockerfile, `USER node`).
 */
export const RUN_AS = {
  kubernetes: { uid: 65532, gid: 65532 },
  kubefed: { uid: 1001, gid: 1001 },
  externalDns: { uid: 65532, gid: 65532 },
  project: { uid: 1000, gid: 1000 },
} as const satisfies Record<string, RunAs>;

/**
 * The Pod's part of "restricted": non-root, the runtime's default seccomp profile, and, for a
 * Pod with a volume it writes (etcd's), the group its files are made writable by (fsGroup, as
 * the kubelet applies it to CSI volumes; emptyDirs and kind's local-path volumes, made by
 * `mkdir -m 0777` in local-path-provisioner's setup script, are writable by any user).
 */
export function restrictedPod(fsGroup?: number): object {
  return {
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
    ...(fsGroup === undefined ? {} : { fsGroup }),
  };
}

/**
 * A container's part: its user and group, no privilege escalation, every capability dropped
 * (`add` is the one restricted allows back, NET_BIND_SERVICE), and a read-only root file system.
 */
export function restrictedContainer(runAs: RunAs, add: 'NET_BIND_SERVICE'[] = []): object {
  return {
    runAsUser: runAs.uid,
    runAsGroup: runAs.gid,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'], ...(add.length ? { add } : {}) },
    readOnlyRootFilesystem: true,
  };
}

/**
 * Requests sized from what each program used in the e2e tests (resident memory once a
 * federation is up: API server ~270 MB, etcd ~45 MB, KubeFed's controller manager and webhook
 * ~45-60 MB each, kube-controller-manager ~75 MB, the DNS controller (node) ~115 MB,
 * external-dns ~95 MB; CPU near idle at rest), with room. A memory limit only where an
 * out-of-memory kill costs a restart of a controller, not the federation API: the API server
 * and etcd, whose use grows with the federation, have none. KubeFed's two take its chart's.
 */
export const RESOURCES = {
  apiServer: { requests: { cpu: '100m', memory: '320Mi' } },
  etcd: { requests: { cpu: '50m', memory: '64Mi' } },
  kubefedControllerManager: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } },
  kubeControllerManager: { requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '512Mi' } },
  webhook: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  dnsController: { requests: { cpu: '10m', memory: '128Mi' }, limits: { memory: '384Mi' } },
  externalDns: { requests: { cpu: '10m', memory: '128Mi' }, limits: { memory: '384Mi' } },
} as const;
