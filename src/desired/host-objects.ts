// The control plane on the host cluster once the API server's address and credentials are
// known (after addressObjects, which it does not repeat), in the order it is applied.
import { apiServerDeployment } from './api-server.js';
import { ControlPlaneInputs, credentialsSecret, etcdClaim } from './control-plane.js';
import {
  controllerManagerDeployment,
  controllerManagerKubeconfig,
  kubeControllerManagerKubeconfig,
  webhookDeployment,
  webhookKubeconfig,
  webhookService,
  webhookServingSecret,
} from './controllers.js';
import {
  dnsControllerDeployment,
  dnsKubeconfig,
  dnsProviderConfigSecret,
  externalDnsDeployment,
  externalDnsKubeconfig,
} from './dns-objects.js';
import { KubeObject, withAppliedHash } from './objects.js';

export function hostObjects(input: ControlPlaneInputs): KubeObject[] {
  const { spec } = input;
  const objects = [
    credentialsSecret(input),
    ...(spec.etcd.persistentStorage ? [etcdClaim(spec)] : []),
    dnsProviderConfigSecret(spec),
    controllerManagerKubeconfig(input),
    kubeControllerManagerKubeconfig(input),
    webhookKubeconfig(input),
    dnsKubeconfig(input),
    externalDnsKubeconfig(input),
    webhookServingSecret(input),
    apiServerDeployment(input),
    controllerManagerDeployment(input),
    webhookService(spec),
    webhookDeployment(input),
    dnsControllerDeployment(input),
    externalDnsDeployment(input),
  ];
  return objects.map(withAppliedHash);
}
