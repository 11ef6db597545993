/**
 * SessionSigIssuer over the SDK's `getPkpSessionSigs`. Must be called inside `runInSessionScope`:
 * the SDK reads and writes its session key and wallet sig through `requestBoundStorage`.
 */
import type { IssuedSessionSigs, SessionSigIssuer, SessionSigsParams } from '../../domain/lit-ports';
import type { LitNodeClientInstance } from './client';
import type { LitConnection } from './connection';
import { mapLitError } from './errors';
import { ownerAuthMethod } from './owner-auth';
import { toLitResourceAbilityRequests } from './resources';
import { loadLitSdk } from './sdk';

export class LitSessionSigIssuer implements SessionSigIssuer {
  constructor(private readonly connection: Pick<LitConnection<LitNodeClientInstance>, 'get'>) {}

  async getPkpSessionSigs(p: SessionSigsParams): Promise<IssuedSessionSigs> {
    const client = await this.connection.get(p.deadlineMs);
    const sdk = await loadLitSdk();
    const expiration = p.expiration.toISOString();
    try {
      const longer = p.walletSigValidUntil && p.walletSigValidUntil.getTime() > p.expiration.getTime() ? p.walletSigValidUntil.toISOString() : undefined;
      const authMethods = p.authMethods
        ? p.authMethods.map((m) => ({ authMethodType: m.authMethodType, accessToken: m.accessToken }))
        : [await ownerAuthMethod(sdk, client, p.owner, longer ?? expiration)];
      const request = {
        pkpPublicKey: p.pkpPublicKey,
        authMethods,
        capabilityAuthSigs: [p.capabilityAuthSig],
        resourceAbilityRequests: toLitResourceAbilityRequests(sdk, p.resources),
      };
      if (longer) {
        // The SDK uses one expiry for the wallet sig and the session sigs. So first ask with the
        // longer one: when the scope's wallet sig is reusable this only signs locally, and when the
        // SDK must re-sign (none cached, or it does not cover these resources) the nodes sign one
        // that lasts `longer`. Its session sigs are discarded; the call below then finds that
        // wallet sig and signs locally with the asked expiry. Checking the storage ourselves
        // instead would miss the SDK's own re-sign reasons (resource coverage) and cache a
        // short-lived wallet sig that the next request could not reuse.
        await client.getPkpSessionSigs({ ...request, expiration: longer });
      }
      const sessionSigs = await client.getPkpSessionSigs({ ...request, expiration });
      return { sessionSigs: sessionSigs as Record<string, unknown>, expiresAt: expiration };
    } catch (e) {
      throw mapLitError(e, 'session signature');
    }
  }
}
