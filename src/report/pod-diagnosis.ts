// Why a Pod does not run, from what the kubelet, the scheduler and the volume controller wrote
// (the Pod's status, its events, its claims, the previous container's log): pure functions of
// what was read, so every case is tested on the shapes a real cluster writes. The reading is
// observe/pods.ts; what to read is decided here (evidenceNeeded), so reads stay few.

/** The fields of a Pod the diagnosis reads, as the API returns them (JSON, or the client's model). */
export interface PodFields {
  metadata: { name?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: string | Date };
  spec?: {
    containers?: ContainerFields[];
    initContainers?: ContainerFields[];
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatusFields[];
    initContainerStatuses?: ContainerStatusFields[];
  };
}

interface ContainerFields {
  name: string;
  image?: string;
  readinessProbe?: object;
}

interface Terminated {
  exitCode: number;
  signal?: number;
  reason?: string;
  message?: string;
  finishedAt?: string | Date;
}

export interface ContainerStatusFields {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string | Date };
    terminated?: Terminated;
  };
  lastState?: { terminated?: Terminated };
}

/** A core/v1 Event's fields the diagnosis reads. */
export interface EventFields {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { fieldPath?: string };
  lastTimestamp?: string | Date;
  eventTime?: string | Date;
}

/** What was read beside the Pods, for the troubles that need it (see evidenceNeeded). */
export interface Evidence {
  /** Pod name → its events. */
  podEvents: Map<string, EventFields[]>;
  /** `<pod>/<container>` → the last lines of the previous container's log, or why they could not be read. */
  logs: Map<string, { lines: string[] } | { error: string }>;
  /** Claim name → its phase and events (undefined: the claim does not exist). */
  claims: Map<string, { phase?: string; events: EventFields[] } | undefined>;
}

export const noEvidence = (): Evidence => ({ podEvents: new Map(), logs: new Map(), claims: new Map() });

/**
 * A container that restarted counts as running only once it has run this long: a crash loop
 * whose container runs a few seconds between back-offs would otherwise look available at times
 * (a Deployment's minReadySeconds, for restarts).
 */
export const STEADY_AFTER_RESTART_MS = 15_000;

/**
 * A container without a readiness probe is Ready as soon as its process starts, so it counts as
 * running only once it has run this long: a program that exits as it starts (a bad setting, an
 * unreachable provider) would otherwise pass before its first crash.
 */
export const STEADY_WITHOUT_PROBE_MS = 10_000;

/** The last lines of a previous container's log that are shown. */
export const LOG_TAIL_LINES = 5;

/** The kubelet's reasons for a container whose image it cannot get (pkg/kubelet/images/types.go). */
const IMAGE_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'ImageInspectError',
  'RegistryUnavailable',
  'SignatureValidationFailed',
]);

export type Trouble =
  | { kind: 'pod failed'; pod: string; reason: string }
  | { kind: 'unscheduled'; pod: string; message: string; claims: string[] }
  | { kind: 'pod pending'; pod: string; scheduled: boolean }
  | { kind: 'image'; pod: string; container: string; image: string; reason: string }
  | { kind: 'crash'; pod: string; container: string; restarts: number; last: Terminated; runningForMs?: number }
  | { kind: 'exited'; pod: string; container: string; last: Terminated }
  | { kind: 'waiting'; pod: string; container: string; reason: string; message?: string }
  | { kind: 'unready'; pod: string; container: string; probed: boolean }
  | { kind: 'starting'; pod: string; container: string; runningForMs: number };

const time = (t: string | Date | undefined) => (t === undefined ? undefined : new Date(t).getTime());
const joined = (...parts: (string | undefined)[]) => parts.filter(Boolean).join(': ');

/** What keeps one Pod from running (none for a Pod whose containers all run and are ready). */
export function podTroubles(pod: PodFields, now: Date): Trouble[] {
  const name = pod.metadata.name ?? '';
  const status = pod.status ?? {};
  if (status.phase === 'Failed')
    return [{ kind: 'pod failed', pod: name, reason: joined(status.reason, status.message) }];
  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') {
    const claims = (pod.spec?.volumes ?? []).flatMap((v) =>
      v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
    );
    return [{ kind: 'unscheduled', pod: name, message: joined(scheduled.reason, scheduled.message), claims }];
  }
  const statuses = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  if (statuses.length === 0)
    return status.phase === 'Running' ? [] : [{ kind: 'pod pending', pod: name, scheduled: scheduled !== undefined }];
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return statuses.flatMap((s) => {
    const trouble = containerTrouble(
      name,
      s,
      specs.find((c) => c.name === s.name),
      now,
    );
    return trouble ? [trouble] : [];
  });
}

function containerTrouble(
  pod: string,
  s: ContainerStatusFields,
  spec: ContainerFields | undefined,
  now: Date,
): Trouble | null {
  const container = s.name;
  const image = spec?.image ?? s.image ?? '';
  const restarts = s.restartCount ?? 0;
  const last = s.lastState?.terminated;
  const { waiting, running, terminated } = s.state ?? {};
  if (waiting) {
    // A runtime that cannot get the image says so: the kubelet by its reason, others by naming it.
    if (IMAGE_REASONS.has(waiting.reason ?? '') || (image && waiting.message?.includes(image)))
      return { kind: 'image', pod, container, image, reason: joined(waiting.reason, waiting.message) };
    if (last) return { kind: 'crash', pod, container, restarts, last };
    return { kind: 'waiting', pod, container, reason: waiting.reason ?? 'Waiting', message: waiting.message };
  }
  // Exited again, and not yet in back-off (a real kubelet shows it so in between): a crash loop.
  if (terminated && restarts > 0) return { kind: 'crash', pod, container, restarts, last: terminated };
  if (terminated) return { kind: 'exited', pod, container, last: terminated };
  if (!running) return null;
  const runningForMs = now.getTime() - (time(running.startedAt) ?? now.getTime());
  if (last && restarts > 0 && runningForMs < STEADY_AFTER_RESTART_MS)
    return { kind: 'crash', pod, container, restarts, last, runningForMs };
  const probed = spec?.readinessProbe !== undefined;
  if (!s.ready) return { kind: 'unready', pod, container, probed };
  if (!probed && runningForMs < STEADY_WITHOUT_PROBE_MS) return { kind: 'starting', pod, container, runningForMs };
  return null;
}

/** What must be read to explain the troubles: events of some Pods, previous logs, claims. */
export function evidenceNeeded(troubles: Trouble[]): {
  podEvents: string[];
  logs: [string, string][];
  claims: string[];
} {
  const podEvents = new Set<string>();
  const logs: [string, string][] = [];
  const claims = new Set<string>();
  for (const t of troubles) {
    if (t.kind === 'unready' || t.kind === 'pod pending' || (t.kind === 'waiting' && !t.message)) podEvents.add(t.pod);
    // The container that crashed is the previous one (the kubelet has started another, or will).
    if (t.kind === 'crash') logs.push([t.pod, t.container]);
    if (t.kind === 'unscheduled') t.claims.forEach((c) => claims.add(c));
  }
  return { podEvents: [...podEvents], logs, claims: [...claims] };
}

/**
 * Text read from a cluster as one line of plain text: terminal escapes dropped, other control
 * characters (and those that reorder text) shown as \u escapes, at most `max` characters.
 */
export function clusterText(text: string, max = 500): string {
  const plain = text
    .replace(TERMINAL_ESCAPES, '')
    .replace(/\r?\n/g, ' ')
    .replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
}

// Terminal escapes: CSI (colours), OSC (window titles, links) up to its end, and the two-character ones.
// eslint-disable-next-line no-control-regex -- the escape character is what it matches
const TERMINAL_ESCAPES = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[@-_]/g;
// eslint-disable-next-line no-control-regex -- control characters (and those that reorder text) are what it matches
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The inputs that set a container's image and shape its program, by container name. */
export type InputsOf = (container: string) => { image?: string; settings: string[] };

const inputList = (names: string[]) =>
  names.length ? ` (input${names.length > 1 ? 's' : ''} ${names.map((n) => `\`${n}\``).join(', ')})` : '';

/** The latest event that explains something, of the given reasons (newest last in the list). */
function latest(events: EventFields[] | undefined, pick: (e: EventFields) => boolean): EventFields | undefined {
  const stamp = (e: EventFields) => time(e.lastTimestamp) ?? time(e.eventTime) ?? 0;
  return [...(events ?? [])]
    .filter(pick)
    .sort((a, b) => stamp(a) - stamp(b))
    .at(-1);
}

const eventText = (e: EventFields | undefined) => (e ? clusterText(joined(e.reason, e.message)) : undefined);

function exitText(t: Terminated): string {
  const how = t.signal ? `signal ${t.signal}` : `exit code ${t.exitCode}`;
  return `last ${how}${t.reason ? ` (${clusterText(t.reason)})` : ''}${t.message ? `: ${clusterText(t.message)}` : ''}`;
}

function logText(evidence: Evidence, pod: string, container: string): string {
  const log = evidence.logs.get(`${pod}/${container}`);
  if (!log) return '';
  if ('error' in log) return `; its previous log could not be read (${clusterText(log.error, 200)})`;
  const lines = log.lines.filter((l) => l.trim() !== '').map((l) => clusterText(l, 300));
  return lines.length ? `; its previous log ends: ${lines.join(' ⏎ ')}` : '; its previous log is empty';
}

/** One trouble as a sentence, naming the input that fixes it where there is one. */
export function describeTrouble(t: Trouble, evidence: Evidence, inputsOf: InputsOf, claimInputs: string[]): string {
  const pod = `pod ${clusterText(t.pod)}`;
  switch (t.kind) {
    case 'pod failed':
      return `${pod} failed: ${clusterText(t.reason)}`;
    case 'pod pending':
      return `${pod} is Pending${t.scheduled ? '' : ' (not scheduled yet)'}${suffix(
        eventText(latest(evidence.podEvents.get(t.pod), warning)),
      )}`;
    case 'unscheduled': {
      const claims = t.claims.flatMap((name) => {
        const claim = evidence.claims.get(name);
        if (claim === undefined) return evidence.claims.has(name) ? [`claim ${name} does not exist`] : [];
        if (claim.phase === 'Bound') return [];
        const why = eventText(latest(claim.events, () => true));
        return [`claim ${name} is ${clusterText(claim.phase ?? 'Pending')}${suffix(why)}${inputList(claimInputs)}`];
      });
      return [`${pod} cannot be scheduled: ${clusterText(t.message || 'no reason given')}`, ...claims].join('; ');
    }
  }
  const inputs = inputsOf(t.container);
  const container = `${pod}: container "${clusterText(t.container)}"`;
  switch (t.kind) {
    case 'image':
      return `${container} cannot get image "${clusterText(t.image)}": ${clusterText(t.reason)}${inputList(
        inputs.image ? [inputs.image] : [],
      )}`;
    case 'crash': {
      const since = t.runningForMs === undefined ? '' : `, running again for ${Math.round(t.runningForMs / 1000)}s`;
      const restarts = `${t.restarts} restart${t.restarts === 1 ? '' : 's'}`;
      return `${container} is crash-looping (${restarts}, ${exitText(t.last)}${since})${inputList(
        [inputs.image, ...inputs.settings].filter((n): n is string => !!n),
      )}${logText(evidence, t.pod, t.container)}`;
    }
    case 'exited':
      return `${container} has exited (${exitText(t.last).replace(/^last /, '')})`;
    case 'waiting': {
      const why = t.message ?? eventText(latest(evidence.podEvents.get(t.pod), warning));
      return `${container} is waiting: ${clusterText(t.reason)}${suffix(why && clusterText(why))}`;
    }
    case 'unready': {
      const fieldPath = `spec.containers{${t.container}}`;
      const probe = latest(
        evidence.podEvents.get(t.pod),
        (e) =>
          e.reason === 'Unhealthy' && e.involvedObject?.fieldPath === fieldPath && /^Readiness/.test(e.message ?? ''),
      );
      if (probe) return `${container} is running but its readiness probe fails: ${clusterText(probe.message ?? '')}`;
      return `${container} is running but not ready${t.probed ? ' (its readiness probe has not passed yet)' : ''}`;
    }
    case 'starting':
      return (
        `${container} started ${Math.round(t.runningForMs / 1000)}s ago; having no readiness probe, ` +
        `it counts as running once it has run ${STEADY_WITHOUT_PROBE_MS / 1000}s`
      );
  }
}

const warning = (e: EventFields) => e.type === 'Warning';
const suffix = (text: string | undefined) => (text ? `: ${text}` : '');
