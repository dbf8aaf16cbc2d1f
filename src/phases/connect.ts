// The first phases of every run: the contexts it names exist, the host answers, and (for the
// commands that work on an existing federation) the federation API is found on the host.
import { InputError } from '../inputs/spec.js';
import { contextProblems } from '../inputs/kubeconfig.js';
import { hostCluster } from '../observe/cluster.js';
import { existingFederation } from '../observe/federation-api.js';
import { type Phase, hostOf } from './scope.js';

/** Every context the inputs name is checked before anything is read or written. */
export const checkContexts: Phase = async ({ spec, kubeconfig }) => {
  const missing = contextProblems(kubeconfig, [
    { input: 'host-cluster-context', context: spec.hostContext },
    ...spec.clusters.map((c) => ({ input: `clusters: cluster "${c.name}"`, context: c.context })),
  ]);
  if (missing.length) throw new InputError(missing);
};

/**
 * `kubefed join` needs the cluster's context; `kubefed unjoin` only when one is given (else the
 * context the member was joined through is used).
 */
export const checkMemberContext =
  (op: 'join' | 'unjoin'): Phase =>
  async ({ spec, kubeconfig }) => {
    const [cluster] = spec.clusters;
    const named = op === 'join' || cluster.context !== cluster.name;
    const missing = contextProblems(kubeconfig, named ? [{ input: 'cluster-context', context: cluster.context }] : []);
    if (missing.length) throw new InputError(missing);
  };

export const connectHost: Phase = async (scope) => {
  const host = hostCluster(scope.kubeconfig, scope.spec.hostContext);
  await host.ensureReachable();
  scope.host = host;
  scope.hostState = 'reachable';
  if (host.config.getCurrentCluster()?.skipTLSVerify) {
    const warning =
      `host cluster (context "${scope.spec.hostContext}"): its kubeconfig context skips TLS verification ` +
      '(insecure-skip-tls-verify); the action cannot tell it is talking to the real host cluster';
    scope.hostTlsUnverified = true;
    scope.warnings.push(warning);
    scope.log.warning(warning);
  }
};

/** The federation `kubefed init` made, which must answer: nothing is changed otherwise. */
export const findFederation: Phase = async (scope) => {
  const { spec, log } = scope;
  const host = hostOf(scope);
  const federation = await existingFederation(host, spec, log);
  if (!federation) {
    throw new Error(
      `federation ${spec.federationName}: its API server has no address or credentials on ${host.label} yet; ` +
        'run kubefed init first',
    );
  }
  if (!(await federation.cluster.ready()))
    throw new Error(`${federation.cluster.label} does not answer /readyz; nothing was changed`);
  Object.assign(scope, { federation, federationUp: true, reportsFederation: true });
};
