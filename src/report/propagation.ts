// The federated objects' delivery as the step reports it: the `propagation` output (object →
// member → KubeFed's status and the reason) and the table of what is not delivered. Pure.
import type { ObjectDelivery } from '../wait/delivery.js';

export interface PropagationEntry {
  delivered: boolean;
  /** "rollout": the members' collected status was judged; "presence": KubeFed's propagation status alone. */
  judged: ObjectDelivery['judged'];
  reason?: string;
  clusters: Record<string, { status: string; reason: string; delivered: boolean }>;
}

/** The `propagation` output's value: object → its delivery, in the order the objects were read. */
export function propagationOutput(objects: ObjectDelivery[]): Record<string, PropagationEntry> {
  return Object.fromEntries(
    objects.map((o) => [
      o.object,
      {
        delivered: o.delivered,
        judged: o.judged,
        ...(o.reason ? { reason: o.reason } : {}),
        clusters: Object.fromEntries(
          Object.entries(o.clusters).map(([name, m]) => [
            name,
            { status: m.status, reason: m.reason, delivered: m.delivered },
          ]),
        ),
      },
    ]),
  );
}

export interface DeliveryRow {
  object: string;
  cluster: string;
  status: string;
  reason: string;
}

/**
 * One row per member an object is not delivered to, and one per object with an object-wide
 * reason; `all` gives a row to every member (the CLI's `kubefed status`).
 */
export function deliveryRows(objects: ObjectDelivery[], all = false): DeliveryRow[] {
  return objects.flatMap((o) => {
    const members = Object.entries(o.clusters)
      .filter(([, m]) => all || !m.delivered)
      .map(([cluster, m]) => ({ object: o.object, cluster, status: m.status, reason: `${m.reason} (${o.judged})` }));
    const whole = o.reason || (all && !Object.keys(o.clusters).length) ? [wholeRow(o)] : [];
    return [...whole, ...members];
  });
}

const wholeRow = (o: ObjectDelivery): DeliveryRow => ({
  object: o.object,
  cluster: '—',
  status: o.delivered ? 'OK' : o.reason?.startsWith('pending') ? 'Pending' : 'NotDelivered',
  reason: o.reason ?? 'placed on no member',
});

/** Markdown rows of the job summary's table of what is not delivered (cells escaped by `escape`). */
export function deliveryTable(objects: ObjectDelivery[], escape: (text: string) => string): string[] {
  const rows = deliveryRows(objects);
  if (!objects.length) return [];
  const delivered = objects.filter((o) => o.delivered).length;
  const head = `Federated objects: ${delivered}/${objects.length} delivered`;
  if (!rows.length) return ['', `${head}.`];
  return [
    '',
    `${head}; not delivered:`,
    '',
    '| object | cluster | status | reason |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.object, r.cluster, r.status, r.reason].map(escape).join(' | ')} |`),
  ];
}

/** A plain-text table (the CLI), columns padded. */
export function deliveryText(objects: ObjectDelivery[]): string {
  const rows = deliveryRows(objects, true);
  const header: DeliveryRow = { object: 'OBJECT', cluster: 'CLUSTER', status: 'STATUS', reason: 'REASON' };
  const keys = ['object', 'cluster', 'status'] as const;
  const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  const line = (r: DeliveryRow) => [...keys.map((k, i) => r[k].padEnd(widths[i] ?? 0)), r.reason].join('  ');
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
