// The control plane on the host cluster once the API server's address and credentials are
// known (after addressObjects, which it does not repeat), in the order it is applied.
import { apiServerDeployment } from './api-server.js';
import { ControlPlaneInputs, controllerManagerAccess, credentialsSecret, etcdClaim } from './control-plane.js';
import {
  controllerManagerDeployment,
  controllerManagerKubeconfig,
  webhookDeployment,
  webhookService,
  webhookServingSecret,
} from './controllers.js';
import { dnsKubeconfig, dnsProviderConfigSecret, externalDnsDeployment } from './dns-objects.js';
import { KubeObject, withAppliedHash } from './objects.js';

export function hostObjects(input: ControlPlaneInputs): KubeObject[] {
  const { spec } = input;
  const objects = [
    credentialsSecret(input),
    ...(spec.etcd.persistentStorage ? [etcdClaim(spec)] : []),
    dnsProviderConfigSecret(spec),
    ...controllerManagerAccess(spec),
    controllerManagerKubeconfig(input),
    dnsKubeconfig(input),
    webhookServingSecret(input),
    apiServerDeployment(input),
    controllerManagerDeployment(input),
    webhookService(spec),
    webhookDeployment(input),
    externalDnsDeployment(input),
  ];
  return objects.map(withAppliedHash);
}
