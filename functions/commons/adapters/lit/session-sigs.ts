/**
 * The SDK's `getPkpSessionSigs`, unscoped: it reads and writes its session key and wallet sig
 * through `requestBoundStorage`, so it runs only inside `scopedIssuer` (session-storage), which
 * binds the request's scope around it.
 */
import { createPrivateKey, sign } from 'node:crypto';
import type { LitActionRequest } from '../../domain/lit-action';
import type { IssuedSessionSigs, SessionSigsParams, UnscopedSessionSigIssuer } from '../../ports';
import { ServiceError } from '../../errors';
import { requestBoundStorage, SDK_STORAGE_KEYS, walletSigExpiryMs } from '../../session-storage';
import type { LitNodeClientInstance } from './client';
import type { LitConnection } from './connection';
import { mapLitError } from './errors';
import { nodeAvailabilityOf, type NodeAvailability } from './node-availability';
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
export function storedWalletSigServes(
  sdk: Pick<LitSdk, 'authHelpers'>,
  sessionKeyUri: (publicKey: string) => string,
  requests: LitResourceAbilityRequest[],
  untilMs: number,
): boolean {
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

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

type SessionSig = { sig: string; signedMessage: string; [k: string]: unknown };

/**
 * Session sigs for every node of the network, not only those the client handshook with. A session
 * sig is the session key's ed25519 signature over the same message with the node's address
 * (what the SDK's getSessionSigs signs per node): made locally, it grants nothing more than the
 * others, and a caller's client connected to a node that was down when these were issued (and is
 * back) needs one for it, or its pkpSign refuses before sending anything.
 */
export function withSessionSigsForEveryNode<T extends { sig: string; signedMessage: string }>(
  sessionSigs: Record<string, T>,
  nodeUrls: readonly string[],
  secretKeyHex: string,
): Record<string, T> {
  const template = Object.values(sessionSigs)[0];
  const missing = nodeUrls.filter((u) => !(u in sessionSigs));
  if (!template || missing.length === 0) return sessionSigs;
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(secretKeyHex, 'hex').subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  const message = JSON.parse(template.signedMessage) as Record<string, unknown>;
  const out = { ...sessionSigs };
  for (const nodeAddress of missing) {
    // The same key order as the SDK's: nodeAddress stays where the template has it (last).
    const signedMessage = JSON.stringify({ ...message, nodeAddress });
    out[nodeAddress] = { ...template, signedMessage, sig: sign(null, Buffer.from(signedMessage, 'utf8'), key).toString('hex') };
  }
  return out;
}

/** The SDK's Lit Action parameters: `litActionCode` is the base64 the node decodes (the SDK passes it on as the node's `code`). */
export function litActionParams(
  action: LitActionRequest,
): { litActionIpfsId: string; jsParams: Record<string, unknown> } | { litActionCode: string; jsParams: Record<string, unknown> } {
  return action.source.kind === 'ipfs'
    ? { litActionIpfsId: action.source.ipfsId, jsParams: action.jsParams }
    : { litActionCode: action.source.codeBase64, jsParams: action.jsParams };
}

export class LitSessionSigIssuer implements UnscopedSessionSigIssuer {
  constructor(private readonly connection: Pick<LitConnection<LitNodeClientInstance>, 'get'>) {}

  async getPkpSessionSigs(p: SessionSigsParams): Promise<IssuedSessionSigs> {
    const client = await this.connection.get(p.deadlineMs);
    const sdk = await loadLitSdk();
    const nodes = nodeAvailabilityOf(client);
    // Nodes that did not answer are asked again in the background (at most every few seconds).
    void nodes?.rejoin();
    const expiration = p.expiration.toISOString();
    try {
      // ---- repeat-floor hook (stored-wallet-sig-signer.ts): a repeat signs locally, no SDK call.
      const signLocally = () =>
        signWithStoredWalletSig(client, {
          resourceAbilityRequests: toLitResourceAbilityRequests(sdk, p.resources),
          capabilityAuthSigs: [p.capabilityAuthSig],
          expiration,
        });
      // Whatever signed them, sigs for every node of the network (withSessionSigsForEveryNode).
      const forEveryNode = (sessionSigs: Record<string, { sig: string; signedMessage: string }>): IssuedSessionSigs => {
        const sessionKey = JSON.parse(requestBoundStorage.getItem(SDK_STORAGE_KEYS.SESSION_KEY) ?? '{}') as { secretKey?: string };
        const everyNode = sessionKey.secretKey ? withSessionSigsForEveryNode(sessionSigs, client.config.bootstrapUrls, sessionKey.secretKey) : sessionSigs;
        return { sessionSigs: everyNode, expiresAt: expiration };
      };
      const repeat = await signLocally();
      if (repeat) return forEveryNode(repeat);
      // ---- end of hook
      const longer = p.walletSigValidUntil && p.walletSigValidUntil.getTime() > p.expiration.getTime() ? p.walletSigValidUntil.toISOString() : undefined;
      // With an action, no auth method at all: the node's check_pkp_auth passes on ANY permitted
      // auth method, so the owner's would get the sigs whatever the action answers.
      const authMethods = p.litAction
        ? []
        : p.authMethods
          ? p.authMethods.map((m) => ({ authMethodType: m.authMethodType, accessToken: m.accessToken }))
          : [await ownerAuthMethod(sdk, client, p.owner, longer ?? expiration)];
      const request = {
        pkpPublicKey: p.pkpPublicKey,
        authMethods,
        capabilityAuthSigs: [p.capabilityAuthSig],
        resourceAbilityRequests: toLitResourceAbilityRequests(sdk, p.resources),
        ...(p.litAction && litActionParams(p.litAction)),
      };
      const cached = storedWalletSigServes(sdk, (k) => client.getSessionKeyUri(k), request.resourceAbilityRequests, p.expiration.getTime());
      if (!cached && nodes) await requireThreshold(nodes);
      if (longer && !cached) {
        // The SDK uses one expiry for the wallet sig and the session sigs. So when the scope has
        // no wallet sig the SDK would reuse for this request, first ask with `longer`: the SDK
        // re-signs (a node round) one that lasts that long, for later requests to reuse. Its
        // session sigs are discarded; the call below then finds that wallet sig and signs locally
        // with the asked expiry. When the stored one serves (the usual cache hit), this first
        // call is skipped: it would only sign session sigs to throw away.
        await client.getPkpSessionSigs({ ...request, expiration: longer });
        // ---- repeat-floor hook: the SDK verified the new wallet sig in that call; sign locally.
        const fresh = await signLocally();
        if (fresh) return forEveryNode(fresh);
        // ---- end of hook
      }
      return forEveryNode((await client.getPkpSessionSigs({ ...request, expiration })) as unknown as Record<string, SessionSig>);
    } catch (e) {
      throw mapLitError(e, 'session signature');
    }
  }
}

/**
 * A sign_session_key round needs the threshold of nodes. Below it, the nodes that did not answer
 * are asked once more (unless asked moments ago), then the request is refused without a round
 * that could only fail.
 */
async function requireThreshold(nodes: NodeAvailability): Promise<void> {
  if (nodes.hasThreshold()) return;
  await nodes.rejoin();
  if (nodes.hasThreshold()) return;
  const counts = nodes.counts();
  throw new ServiceError(
    'LIT_UNAVAILABLE',
    `Too few Lit nodes answer to sign a new session key (${counts.answered} of ${counts.nodes}, threshold ${counts.threshold}); scopes with a cached wallet sig are still served`,
    {
      details: { ...counts },
    },
  );
}
