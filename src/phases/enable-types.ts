// `kubefed enable <type>` and `kubefed disable <type>`, kubefedctl's verbs, on the same core as
// the `federated-types` input: only the named types change.
import { converge } from '../apply/converge.js';
import { typeConfigName } from '../desired/federated-types.js';
import { federatedTypeObjects } from '../desired/federation-objects.js';
import { withAppliedHash } from '../desired/objects.js';
import { disableTypes } from './federation-api.js';
import { type Phase, federationOf } from './scope.js';

export const enableTypes: Phase = async (scope) => {
  const { spec, writes, log } = scope;
  const federation = federationOf(scope);
  const desired = federatedTypeObjects(spec, spec.federatedTypes).map((object) => ({
    target: { kind: 'federation' as const },
    object: withAppliedHash(object),
  }));
  scope.steps.push(...(await converge(desired, () => federation, { writes, log })));
};

export const disableNamedTypes: Phase = async (scope) => {
  const { spec, writes, log } = scope;
  const names = new Set(spec.federatedTypes.map(typeConfigName));
  const { steps, warnings } = await disableTypes({ spec, federation: federationOf(scope), writes, log }, (name) =>
    names.has(name),
  );
  scope.steps.push(...steps);
  scope.warnings.push(...warnings);
};
