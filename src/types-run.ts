// `kubefed enable <type>` and `kubefed disable <type>`, kubefedctl's verbs, on the same core as
// the `federated-types` input: the federation is found on the host, and only that type changes.
import type { KubeConfig } from '@kubernetes/client-node';
import { disableTypes } from './bootstrap.js';
import { hostCluster } from './cluster.js';
import { converge } from './converge.js';
import { typeConfigName } from './federated-types.js';
import { federatedTypeObjects } from './federation.js';
import { existingFederation } from './federation-api.js';
import type { Spec } from './inputs.js';
import { withAppliedHash } from './objects.js';
import { RunResult, clusterReport } from './result.js';
import type { RunOptions } from './run.js';

/** Enables or disables the types in `spec.federatedTypes`, and reports it as a run would. */
export async function runTypes(op: 'enable' | 'disable', spec: Spec, kubeconfig: KubeConfig, opts: RunOptions): Promise<RunResult> {
  const host = hostCluster(kubeconfig, spec.hostContext);
  const federation = await existingFederation(host, spec, opts.log);
  if (!federation) throw new Error(`federation ${spec.federationName}: its API server has no address or credentials on ${host.label} yet; run kubefed init first`);
  if (!(await federation.cluster.ready())) throw new Error(`${federation.cluster.label} does not answer /readyz; nothing was changed`);
  const writes = spec.mode === 'apply';
  const ctx = { spec, federation: federation.cluster, writes, log: opts.log };
  const names = new Set(spec.federatedTypes.map(typeConfigName));
  const { steps, warnings } =
    op === 'enable'
      ? {
          steps: await converge(
            federatedTypeObjects(spec, spec.federatedTypes).map((object) => ({ target: { kind: 'federation' as const }, object: withAppliedHash(object) })),
            () => federation.cluster,
            ctx,
          ),
          warnings: [],
        }
      : await disableTypes(ctx, (name) => names.has(name));
  return {
    steps,
    changed: writes && steps.length > 0,
    federationEndpoint: federation.cluster.server,
    federationContext: spec.federationName,
    healthy: true,
    problems: [],
    errors: [],
    warnings,
    issued: [],
    joined: [],
    unjoined: [],
    clusterEndpoints: {},
    clusters: [clusterReport('federation', federation.cluster.server, 'ready', steps)],
  };
}
