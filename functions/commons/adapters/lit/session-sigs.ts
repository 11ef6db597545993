/**
 * SessionSigIssuer over the SDK's `getPkpSessionSigs`. Must be called inside `runInSessionScope`:
 * the SDK reads and writes its session key and wallet sig through `requestBoundStorage`.
 */
import type { IssuedSessionSigs, SessionSigIssuer, SessionSigsParams } from '../../domain/lit-ports';
import { requestBoundStorage, SDK_STORAGE_KEYS, walletSigExpiryMs } from '../../session-storage';
import type { LitNodeClientInstance } from './client';
import type { LitConnection } from './connection';
import { mapLitError } from './errors';
import { ownerAuthMethod } from './owner-auth';
import { toLitResourceAbilityRequests } from './resources';
import { loadLitSdk, type LitSdk } from './sdk';
import { signWithStoredWalletSig } from './stored-wallet-sig-signer';

type LitResourceAbilityRequest = ReturnType<typeof toLitResourceAbilityRequests>[number];

/**
 * Would the SDK reuse the scope's wallet sig for these resources, and does it last until
 * `untilMs`? The SDK's own reasons to re-sign (checkNeedToResignSessionKey), minus the signature
 * check: the sig came from this scope's storage, written by the SDK after a node round, and the
 * SDK verifies it again in the call that follows. Any doubt answers false (the caller then asks
 * the SDK, which decides), so a wrong answer can only cost a node round, never a wrong sig.
 */
export function storedWalletSigServes(sdk: Pick<LitSdk, 'authHelpers'>, sessionKeyUri: (publicKey: string) => string, requests: LitResourceAbilityRequest[], untilMs: number): boolean {
  try {
    const raw = requestBoundStorage.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE);
    const sessionKey = requestBoundStorage.getItem(SDK_STORAGE_KEYS.SESSION_KEY);
    const expiry = walletSigExpiryMs(raw);
    if (!raw || !sessionKey || expiry === undefined || expiry < untilMs) return false;
    const message = (JSON.parse(raw) as { signedMessage?: unknown }).signedMessage;
    const publicKey = (JSON.parse(sessionKey) as { publicKey?: unknown }).publicKey;
    if (typeof message !== 'string' || typeof publicKey !== 'string') return false;
    // SIWE (EIP-4361) lines: `URI: …` and the first `- …` item under `Resources:`.
    const uri = /^URI: (.+)$/m.exec(message)?.[1];
    const resource = /^Resources:\n- (.+)$/m.exec(message)?.[1];
    if (uri !== sessionKeyUri(publicKey) || !resource) return false;
    const capabilities = sdk.authHelpers.decode(resource);
    return requests.every((r) => capabilities.verifyCapabilitiesForResource(r.resource, r.ability));
  } catch {
    return false;
  }
}

export class LitSessionSigIssuer implements SessionSigIssuer {
  constructor(private readonly connection: Pick<LitConnection<LitNodeClientInstance>, 'get'>) {}

  async getPkpSessionSigs(p: SessionSigsParams): Promise<IssuedSessionSigs> {
    const client = await this.connection.get(p.deadlineMs);
    const sdk = await loadLitSdk();
    const expiration = p.expiration.toISOString();
    try {
      // ---- repeat-floor hook (stored-wallet-sig-signer.ts): a repeat signs locally, no SDK call.
      const signLocally = () =>
        signWithStoredWalletSig(client, { resourceAbilityRequests: toLitResourceAbilityRequests(sdk, p.resources), capabilityAuthSigs: [p.capabilityAuthSig], expiration });
      const repeat = await signLocally();
      if (repeat) return { sessionSigs: repeat, expiresAt: expiration };
      // ---- end of hook
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
      if (longer && !storedWalletSigServes(sdk, (k) => client.getSessionKeyUri(k), request.resourceAbilityRequests, p.expiration.getTime())) {
        // The SDK uses one expiry for the wallet sig and the session sigs. So when the scope has
        // no wallet sig the SDK would reuse for this request, first ask with `longer`: the SDK
        // re-signs (a node round) one that lasts that long, for later requests to reuse. Its
        // session sigs are discarded; the call below then finds that wallet sig and signs locally
        // with the asked expiry. When the stored one serves (the usual cache hit), this first
        // call is skipped: it would only sign session sigs to throw away.
        await client.getPkpSessionSigs({ ...request, expiration: longer });
        // ---- repeat-floor hook: the SDK verified the new wallet sig in that call; sign locally.
        const fresh = await signLocally();
        if (fresh) return { sessionSigs: fresh, expiresAt: expiration };
        // ---- end of hook
      }
      const sessionSigs = await client.getPkpSessionSigs({ ...request, expiration });
      return { sessionSigs: sessionSigs as Record<string, unknown>, expiresAt: expiration };
    } catch (e) {
      throw mapLitError(e, 'session signature');
    }
  }
}
