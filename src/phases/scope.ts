// What one run carries from phase to phase. Each field names the phase that sets it; the
// result is a function of the scope alone (report/result.ts), so no phase builds one.
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../desired/objects.js';
import type { Spec } from '../inputs/spec.js';
import type { Cluster } from '../observe/cluster.js';
import type { ControlPlaneRead } from '../observe/pods.js';
import type { FederationApi } from '../observe/federation-api.js';
import type { Step } from '../plan/plan.js';
import type { Log } from '../report/log.js';
import type { PartHealth } from '../wait/control-plane.js';
import type { ObjectDelivery } from '../wait/delivery.js';
import type { MemberOutcome } from './member-outcome.js';
import type { MemberReads } from './member-reads.js';
import type { MemberSide } from './member.js';
import type { Observation } from '../apply/converge.js';
import type { SnapshotCluster } from '../observe/snapshot.js';

export interface RunOptions {
  log: Log;
  /** Masks a credential in every later log line (core.setSecret in the action). */
  mask: (secret: string) => void;
  now?: Date;
}

export interface Scope extends Readonly<RunOptions> {
  readonly spec: Spec;
  readonly kubeconfig: KubeConfig;
  /** Whether the run writes: decided by run() from the mode, never by a phase. */
  readonly writes: boolean;

  /** connectHost. */
  host?: Cluster;
  /** connectHost: the host's kubeconfig context skips TLS verification. */
  hostTlsUnverified?: boolean;
  /** The host's row in the report: connectHost ("reachable"), then removeControlPlane. */
  hostState?: string;

  /** convergeControlPlane, findFederation, findFederationToDestroy: the federation API, once it has an address. */
  federation?: FederationApi;
  /** convergeControlPlane, findFederation, findFederationToDestroy: it answers (when writing: it will). */
  federationUp: boolean;
  /** convergeControlPlane, bootstrapFederationApi: its /readyz answered ok in this run (health's first look). */
  federationReady?: boolean;
  /** convergeControlPlane, findFederation: the federation API has a row and an endpoint in the report. */
  reportsFederation: boolean;
  /** convergeControlPlane: the federation's CA certificate (PEM), for KubeFed's webhooks. */
  caPem?: string;
  /** readControlPlaneAhead: the control plane's first reads on the host, under way. */
  controlPlaneAhead?: Promise<ControlPlaneFirstReads>;
  /**
   * convergeControlPlane: the control plane's Deployments and Pods, read before it wrote anything
   * (else undefined); bootstrapFederationApi drops them when they showed a problem.
   */
  controlPlaneRead?: ControlPlaneRead;
  /** convergeControlPlane: certificates, keys and tokens issued by this run. */
  issued: string[];
  /** convergeControlPlane: a kubeconfig for the federation API, only for credentials the server has. */
  federationKubeconfig?: string;

  /**
   * findFederationToDestroy, unjoinEveryMember: why the federation's member records could not be
   * read (its members beyond the listed ones are unknown); destroy keeps the control plane then.
   */
  membersUnknown?: string;
  /** readMembersAhead: the listed members' reads, started before the control plane's. */
  memberReads?: Map<string, Promise<MemberReads>>;
  /** joinMembersAhead: the listed members' sides of their joins, under way beside the control plane. */
  memberSides?: Map<string, Promise<MemberSide>>;
  /** joinMembersAhead: writes the lines the members' sides logged so far, and passes on the later ones. */
  releaseMemberLog?: () => void;
  /** bootstrapFederationApi: the members' records in the federation, read beside its bootstrap (convergeMembers'). */
  memberRecordsAhead?: Promise<SnapshotCluster>;
  /** bootstrapFederationApi: the federated objects' delivery, read beside its bootstrap (checkHealth's first look). */
  deliveryAhead?: Promise<ObjectDelivery[]>;
  /** The membership phases: members probed through the federation's token as they joined (checkHealth's first look). */
  memberProbes?: Map<string, Promise<string | null>>;
  /** The membership phases: each member's outcome. */
  members: MemberOutcome[];
  /** checkHealth: member name → its problem as the federation sees it, or null when ready. */
  memberHealth: Map<string, string | null>;
  /** checkHealth: each part of the control plane on the host, and its problems. */
  controlPlaneHealth: PartHealth[];
  /** checkHealth: each selected federated object's delivery, when the federation was asked (else undefined). */
  delivery?: ObjectDelivery[];

  /** federateObject: the Federated<Kind> objects made of existing ones. */
  federated: KubeObject[];
  /** orphaningPhase: whether the federated object's members keep its objects when it goes. */
  orphaning?: 'Enabled' | 'Disabled';

  /** Every phase appends: the changes made (or that would be made), in order. */
  steps: Step[];
  /** Every phase appends: what is worth a look but no failure. */
  warnings: string[];
  /** checkHealth, gateMembership: what is not healthy. */
  problems: string[];
  /** removeControlPlane: the etcd PersistentVolume kept (Retain) when the control plane went. */
  retainedVolume?: string;
  /** removeControlPlane: why the run stopped short of its job (the step fails on these). */
  errors: string[];
}

/** The control plane's first reads on the host: its objects, and its Deployments and Pods when the run writes. */
export type ControlPlaneFirstReads = [Observation, ControlPlaneRead | undefined, void];

export type Phase = (scope: Scope) => Promise<void>;

export function newScope(spec: Spec, kubeconfig: KubeConfig, opts: RunOptions, writes: boolean): Scope {
  return {
    ...opts,
    spec,
    kubeconfig,
    writes,
    federationUp: false,
    reportsFederation: false,
    issued: [],
    members: [],
    federated: [],
    memberHealth: new Map(),
    controlPlaneHealth: [],
    steps: [],
    warnings: [],
    problems: [],
    errors: [],
  };
}

/** The federation API's client, for phases that run only once one was found or made. */
export function federationOf(scope: Scope): Cluster {
  if (!scope.federation) throw new Error('the federation API has no address yet');
  return scope.federation.cluster;
}

/** The host's client, set by connectHost, the first phase of every run. */
export function hostOf(scope: Scope): Cluster {
  if (!scope.host) throw new Error('the host cluster is not connected');
  return scope.host;
}
