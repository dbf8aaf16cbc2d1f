// Delivery of the federated objects: read from the federation API (observe/federated-objects.ts),
// judged by KubeFed's status (delivery.ts), and waited for when asked, saying what is pending.
import type { TargetType } from '../desired/federated-types.js';
import type { Cluster } from '../observe/cluster.js';
import { type PropagationSelection, readPropagation, versionKey } from '../observe/federated-objects.js';
import type { Log } from '../report/log.js';
import { type ObjectDelivery, deliveryProblems, deliveryProgress, judgeDelivery, objectName } from './delivery.js';

/** How often the wait says what is still pending. */
export const DELIVERY_PROGRESS_EVERY_MS = 5_000;
const POLL_EVERY_MS = 1_000;

export interface DeliveryInputs {
  federation: Cluster;
  /** KubeFed's namespace (its FederatedTypeConfigs and KubeFedConfig). */
  kubefedNamespace: string;
  selection: PropagationSelection;
  /** The types the federation most likely propagates (the spec's): listed beside its FederatedTypeConfigs. */
  likelyTypes?: TargetType[];
  /** Only the objects (by their report name, Federated<Kind>/[namespace/]name) this says. */
  only?: (object: string) => boolean;
  log: Log;
  /** Wait up to timeoutMs for every selected object to be delivered. */
  wait: boolean;
  timeoutMs: number;
  /** The first look, when the run already took it (observeDelivery of the same selection). */
  firstLook?: Promise<ObjectDelivery[]>;
}

export interface Delivery {
  objects: ObjectDelivery[];
  /** One per object not delivered. */
  problems: string[];
}

/** Every selected federated object's delivery, as KubeFed reports it now. */
export async function observeDelivery(
  federation: Cluster,
  kubefedNamespace: string,
  selection: PropagationSelection,
  only: (object: string) => boolean = () => true,
  likelyTypes: TargetType[] = [],
): Promise<ObjectDelivery[]> {
  const view = await readPropagation(federation, kubefedNamespace, selection, likelyTypes);
  return view.types.flatMap((t) =>
    t.objects
      .filter((o) => only(objectName(o)))
      .map((o) =>
        judgeDelivery(
          o,
          t.rollout,
          t.collecting,
          view.memberGenerations.get(versionKey(o.metadata.namespace, t.targetKind, o.metadata.name)),
        ),
      ),
  );
}

/**
 * The selected objects' delivery; with `wait`, polled until all are delivered, the timeout, or
 * only failures no wait mends are left (an override that cannot apply), with a progress line
 * ("2/3 delivered, waiting for ...") every few seconds.
 */
export async function federatedDelivery(inputs: DeliveryInputs): Promise<Delivery> {
  const { federation, kubefedNamespace, selection, only, log, wait, timeoutMs, likelyTypes } = inputs;
  const observe = () => observeDelivery(federation, kubefedNamespace, selection, only, likelyTypes);
  const start = Date.now();
  let lastSaid = start;
  let objects = await (inputs.firstLook ?? observe());
  const settled = () => objects.every((o) => o.delivered || o.final);
  while (wait && !settled() && Date.now() - start < timeoutMs) {
    if (Date.now() - lastSaid >= DELIVERY_PROGRESS_EVERY_MS) {
      const left = Math.round((timeoutMs - (Date.now() - start)) / 1000);
      log.info(`${deliveryProgress(objects)} (${left}s left)`);
      lastSaid = Date.now();
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_EVERY_MS, timeoutMs / 20)));
    objects = await observe();
  }
  if (objects.length) log.info(deliveryProgress(objects));
  return { objects, problems: deliveryProblems(objects) };
}
