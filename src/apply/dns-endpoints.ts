// The DNS controller's one kind of write: a DNSEndpoint created, replaced or deleted in the
// federation API, as dns-records.ts planned it.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { DNS_ENDPOINT_GROUP, DNS_ENDPOINT_VERSION, EndpointChange, describeRecords } from '../desired/dns-records.js';
import { FIELD_MANAGER } from '../desired/objects.js';
import type { Log } from '../report/log.js';

const DONE = { create: 'created', update: 'updated', delete: 'deleted' } as const;

/** Writes one DNSEndpoint change and logs it with the records it now holds. */
export async function applyEndpointChange(api: CustomObjectsApi, change: EndpointChange, log: Log): Promise<void> {
  const { name, namespace = 'default' } = change.object.metadata;
  const request = { group: DNS_ENDPOINT_GROUP, version: DNS_ENDPOINT_VERSION, plural: 'dnsendpoints', namespace };
  if (change.action === 'create')
    await api.createNamespacedCustomObject({ ...request, body: change.object, fieldManager: FIELD_MANAGER });
  if (change.action === 'update')
    await api.replaceNamespacedCustomObject({ ...request, name, body: change.object, fieldManager: FIELD_MANAGER });
  if (change.action === 'delete') await api.deleteNamespacedCustomObject({ ...request, name });
  const records = change.action === 'delete' ? '' : `: ${describeRecords(change.object)}`;
  log.info(`${DONE[change.action]} DNSEndpoint ${namespace}/${name}${records}`);
}
