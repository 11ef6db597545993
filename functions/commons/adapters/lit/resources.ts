/**
 * The service's resource kinds and abilities → the SDK's resource classes and LIT_ABILITY values.
 */
import type { Ability, ResourceKind } from '../../config';
import type { RequestedResource } from '../../domain/issue-request';
import type { LitSdk } from './sdk';

export function toLitResourceAbilityRequests(sdk: LitSdk, resources: readonly RequestedResource[]) {
  const { LitPKPResource, LitActionResource, LitAccessControlConditionResource, LitRLIResource } = sdk.authHelpers;
  const { LIT_ABILITY } = sdk.constants;
  const byKind: Record<
    ResourceKind,
    (id: string) => InstanceType<typeof LitPKPResource | typeof LitActionResource | typeof LitAccessControlConditionResource | typeof LitRLIResource>
  > = {
    pkp: (id) => new LitPKPResource(id),
    'lit-action': (id) => new LitActionResource(id),
    'access-control-condition': (id) => new LitAccessControlConditionResource(id),
    'rate-limit-increase': (id) => new LitRLIResource(id),
  };
  const ability: Record<Ability, (typeof LIT_ABILITY)[keyof typeof LIT_ABILITY]> = {
    'pkp-signing': LIT_ABILITY.PKPSigning,
    'lit-action-execution': LIT_ABILITY.LitActionExecution,
    'access-control-condition-decryption': LIT_ABILITY.AccessControlConditionDecryption,
    'access-control-condition-signing': LIT_ABILITY.AccessControlConditionSigning,
    'rate-limit-increase-auth': LIT_ABILITY.RateLimitIncreaseAuth,
  };
  return resources.map((r) => ({ resource: byKind[r.kind](r.id), ability: ability[r.ability] }));
}
