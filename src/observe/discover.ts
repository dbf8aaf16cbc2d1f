// Finding a federation `kubefed init` made, for the commands that name only the host: its
// settings are read back from its API server Deployment and its DNS provider config.
import type { KubeConfig } from '@kubernetes/client-node';
import { SETTINGS_PREFIX, settingsOf } from '../desired/api-server.js';
import { hostNames } from '../desired/control-plane.js';
import { FEDERATION_LABEL, FIELD_MANAGER, MANAGED_BY_LABEL, fromBase64 } from '../desired/objects.js';
import { PROVIDER_FILES, withoutFileKeys } from '../inputs/dns-provider.js';
import { InputError } from '../inputs/spec.js';
import { hostCluster } from './cluster.js';

/**
 * The inputs of the federation that lives in `namespace` on the host, as its API server
 * Deployment keeps them: its name, DNS zone and provider, and how its API server is exposed.
 * `name` picks one when the namespace holds several.
 */
export async function discoverFederation(
  kubeconfig: KubeConfig,
  hostContext: string,
  namespace: string,
  name?: string,
): Promise<Record<string, string>> {
  const host = hostCluster(kubeconfig, hostContext);
  const selector = `${MANAGED_BY_LABEL}=${FIELD_MANAGER},module=federation-apiserver`;
  const found = (await host.list('apps/v1', 'Deployment', selector, namespace)).filter(
    (d) => d.metadata.annotations?.[`${SETTINGS_PREFIX}dns-zone-name`],
  );
  const names = found.map((d) => d.metadata.labels?.[FEDERATION_LABEL] ?? '');
  const match = name ? found.filter((d) => d.metadata.labels?.[FEDERATION_LABEL] === name) : found;
  if (match.length !== 1) {
    const where = `namespace "${namespace}" of ${host.label}`;
    const problem =
      found.length === 0
        ? `no federation made by kubefed init in ${where}`
        : name
          ? `no federation "${name}" in ${where}; it has ${names.join(', ')}`
          : `${where} has several federations (${names.join(', ')}): pick one with --federation-name`;
    throw new InputError([`host-cluster-context: ${problem}`]);
  }
  const federation = match[0].metadata.labels?.[FEDERATION_LABEL] ?? '';
  // Where members' CoreDNS forwards the federation's names is in its DNS provider config.
  const providerConfig = await host.read({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: hostNames(federation).dnsProviderConfig, namespace },
  });
  const config = fromBase64((providerConfig?.data as Record<string, string> | undefined)?.[PROVIDER_FILES.config]);
  return {
    'federation-name': federation,
    ...settingsOf(match[0].metadata.annotations),
    ...(config ? { 'dns-provider-config': withoutFileKeys(config) } : {}),
  };
}
