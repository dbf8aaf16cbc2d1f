// The DNS controller's writes: a DNSEndpoint created, replaced or deleted in the federation API,
// as dns-records.ts planned it, and the controller's status ConfigMap (dns-status.ts).
import { PatchStrategy } from '@kubernetes/client-node';
import { DNS_ENDPOINT_GROUP, DNS_ENDPOINT_VERSION, EndpointChange, describeRecords } from '../desired/dns-records.js';
import { FIELD_MANAGER, KubeObject } from '../desired/objects.js';
import type { Cluster } from '../observe/cluster.js';
import type { Log } from '../report/log.js';

const DONE = { create: 'created', update: 'updated', delete: 'deleted' } as const;

/**
 * Writes one DNSEndpoint change and logs it with the records it now holds. Returns the object
 * as the server now has it (undefined once deleted); a refusal is thrown as the cluster explains it.
 */
export async function applyEndpointChange(
  federation: Cluster,
  change: EndpointChange,
  log: Log,
): Promise<KubeObject | undefined> {
  const { name, namespace = 'default' } = change.object.metadata;
  const request = { group: DNS_ENDPOINT_GROUP, version: DNS_ENDPOINT_VERSION, plural: 'dnsendpoints', namespace };
  const api = federation.raw;
  let written: KubeObject | undefined;
  try {
    if (change.action === 'create')
      written = await api.createNamespacedCustomObject({
        ...request,
        body: change.object,
        fieldManager: FIELD_MANAGER,
      });
    if (change.action === 'update')
      written = await api.replaceNamespacedCustomObject({
        ...request,
        name,
        body: change.object,
        fieldManager: FIELD_MANAGER,
      });
    if (change.action === 'delete') await api.deleteNamespacedCustomObject({ ...request, name });
  } catch (err) {
    throw federation.explain(err, `${change.action} DNSEndpoint ${namespace}/${name}`);
  }
  const records = change.action === 'delete' ? '' : `: ${describeRecords(change.object)}`;
  log.info(`${DONE[change.action]} DNSEndpoint ${namespace}/${name}${records}`);
  return written;
}

/** Writes the DNS controller's status ConfigMap (server-side apply: created or replaced). */
export async function writeDnsStatus(federation: Cluster, status: KubeObject): Promise<void> {
  try {
    await federation.api.patch(status, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  } catch (err) {
    throw federation.explain(err, `write the status ConfigMap ${status.metadata.namespace}/${status.metadata.name}`);
  }
}
