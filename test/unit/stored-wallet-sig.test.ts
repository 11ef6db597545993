/**
 * storedWalletSigServes: the issuer's pre-check that lets a cache hit skip the SDK call that only
 * extends the wallet sig. Built with the real SDK's recap objects, so the capability check is the
 * SDK's own; any doubt must answer false (then the SDK decides, at the cost of a call).
 */
import { storedWalletSigServes } from '../../functions/commons/adapters/lit/session-sigs';
import { loadLitSdk, type LitSdk } from '../../functions/commons/adapters/lit/sdk';
import { toLitResourceAbilityRequests } from '../../functions/commons/adapters/lit/resources';
import { bindScopeStorage, ScopeStorage, SDK_STORAGE_KEYS } from '../../functions/commons/session-storage';
import { encodeRecap, mergeRecaps, recapStatement, type Capability } from '../../devnet/nodes/recap';
import { formatSiwe } from '../../devnet/nodes/siwe';

const SESSION_PUBLIC_KEY = 'ab'.repeat(32);
const URI_PREFIX = 'lit:session:';
const uriOf = (publicKey: string) => `${URI_PREFIX}${publicKey}`;

let sdk: LitSdk;
beforeAll(async () => {
  sdk = await loadLitSdk();
});

/** A wallet sig as the SDK stores it: a SIWE message carrying a recap of the given abilities. */
function walletSig(opts: { expiresAt: Date; uri?: string; grants: { kind: 'pkp' | 'lit-action'; id: string }[] }): string {
  const { RecapSessionCapabilityObject, LitPKPResource, LitActionResource } = sdk.authHelpers;
  const { LIT_ABILITY } = sdk.constants;
  const recap = new RecapSessionCapabilityObject();
  for (const g of opts.grants) {
    if (g.kind === 'pkp') recap.addCapabilityForResource(new LitPKPResource(g.id), LIT_ABILITY.PKPSigning);
    else recap.addCapabilityForResource(new LitActionResource(g.id), LIT_ABILITY.LitActionExecution);
  }
  const message = [
    'localhost wants you to sign in with your Ethereum account:',
    '0x0000000000000000000000000000000000000001',
    '',
    "I further authorize the stated URI to perform the following actions on my behalf: (1) 'Threshold': 'Signing' for 'lit-pkp://*'.",
    '',
    `URI: ${opts.uri ?? uriOf(SESSION_PUBLIC_KEY)}`,
    'Version: 1',
    'Chain ID: 1',
    'Nonce: 0x1234',
    `Issued At: ${new Date().toISOString()}`,
    `Expiration Time: ${opts.expiresAt.toISOString()}`,
    'Resources:',
    `- ${recap.encodeAsSiweResource()}`,
  ].join('\n');
  return JSON.stringify({
    sig: 'not-checked-here',
    derivedVia: 'lit.bls',
    signedMessage: message,
    address: '0x0000000000000000000000000000000000000002',
    algo: 'LIT_BLS',
  });
}

function serves(
  entries: Record<string, string>,
  requested: { kind: 'pkp' | 'lit-action'; id: string; ability: 'pkp-signing' | 'lit-action-execution' }[],
  untilMs: number,
): boolean {
  const storage = new ScopeStorage(new Map(Object.entries(entries)));
  return bindScopeStorage(storage, () => storedWalletSigServes(sdk, uriOf, toLitResourceAbilityRequests(sdk, requested), untilMs));
}

const sessionKey = JSON.stringify({ publicKey: SESSION_PUBLIC_KEY, secretKey: 'cd'.repeat(64) });
const HOUR = 3_600_000;
const pkpSigning = [{ kind: 'pkp' as const, id: '*', ability: 'pkp-signing' as const }];

/**
 * A wallet sig in the form the real node returns it (web_client.rs:1660-1774): built with the
 * devnet's copy of that construction, the client's ReCap merged with the node's resolved auth
 * context, the merged statement appended, a block hash nonce and a whole-second Issued At.
 */
function nodeRebuiltWalletSig(expiresAt: Date, grants: Capability['att']): string {
  const user: Capability = { att: grants, prf: [] };
  const node: Capability = {
    att: { 'lit-resolvedauthcontext://*': { 'Auth/Auth': [{ auth_context: { authMethodContexts: [{ userId: '0x01', appId: 'lit', authMethodType: 1 }] } }] } },
    prf: [],
  };
  const merged = mergeRecaps(node, user);
  const message = formatSiwe({
    domain: 'litprotocol.com',
    address: '0x0000000000000000000000000000000000000001',
    statement: `Lit Protocol PKP session signature ${recapStatement(user)} ${recapStatement(merged)}`,
    uri: uriOf(SESSION_PUBLIC_KEY),
    version: '1',
    chainId: '1',
    nonce: `0x${'12'.repeat(32)}`,
    issuedAt: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    expirationTime: expiresAt.toISOString(),
    resources: [encodeRecap(merged)],
  });
  return JSON.stringify({
    sig: 'not-checked-here',
    derivedVia: 'lit.bls',
    signedMessage: message,
    address: '0x0000000000000000000000000000000000000001',
    algo: 'LIT_BLS',
  });
}

describe('storedWalletSigServes', () => {
  it('serves a wallet sig in the form the real node returns it, and only for what its merged ReCap grants', () => {
    const rebuilt = nodeRebuiltWalletSig(new Date(Date.now() + 2 * HOUR), { [`lit-pkp://${'a'.repeat(64)}`]: { 'Threshold/Signing': [{}] } });
    const stored = { [SDK_STORAGE_KEYS.SESSION_KEY]: sessionKey, [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: rebuilt };
    expect(serves(stored, [{ kind: 'pkp', id: 'a'.repeat(64), ability: 'pkp-signing' }], Date.now() + HOUR)).toBe(true);
    expect(serves(stored, pkpSigning, Date.now() + HOUR)).toBe(false);
    expect(serves(stored, [{ kind: 'pkp', id: 'a'.repeat(64), ability: 'pkp-signing' }], Date.now() + 3 * HOUR)).toBe(false);
  });

  it('serves a wallet sig for this session key that covers the resources and lasts long enough', () => {
    const stored = {
      [SDK_STORAGE_KEYS.SESSION_KEY]: sessionKey,
      [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: walletSig({ expiresAt: new Date(Date.now() + 2 * HOUR), grants: [{ kind: 'pkp', id: '*' }] }),
    };
    expect(serves(stored, pkpSigning, Date.now() + HOUR)).toBe(true);
    // A wildcard grant covers a specific PKP too, as the SDK's own check says.
    expect(serves(stored, [{ kind: 'pkp', id: 'a'.repeat(64), ability: 'pkp-signing' }], Date.now() + HOUR)).toBe(true);
  });

  it('does not serve one that ends before the time asked', () => {
    const stored = {
      [SDK_STORAGE_KEYS.SESSION_KEY]: sessionKey,
      [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: walletSig({ expiresAt: new Date(Date.now() + HOUR), grants: [{ kind: 'pkp', id: '*' }] }),
    };
    expect(serves(stored, pkpSigning, Date.now() + 2 * HOUR)).toBe(false);
  });

  it('does not serve one that lacks an asked ability or resource', () => {
    const stored = {
      [SDK_STORAGE_KEYS.SESSION_KEY]: sessionKey,
      [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: walletSig({ expiresAt: new Date(Date.now() + 2 * HOUR), grants: [{ kind: 'pkp', id: '*' }] }),
    };
    expect(serves(stored, [...pkpSigning, { kind: 'lit-action', id: '*', ability: 'lit-action-execution' }], Date.now() + HOUR)).toBe(false);
    const narrow = {
      ...stored,
      [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: walletSig({ expiresAt: new Date(Date.now() + 2 * HOUR), grants: [{ kind: 'pkp', id: 'b'.repeat(64) }] }),
    };
    expect(serves(narrow, pkpSigning, Date.now() + HOUR)).toBe(false);
  });

  it('does not serve one made for another session key, or without a session key', () => {
    const other = walletSig({ expiresAt: new Date(Date.now() + 2 * HOUR), uri: uriOf('ef'.repeat(32)), grants: [{ kind: 'pkp', id: '*' }] });
    expect(serves({ [SDK_STORAGE_KEYS.SESSION_KEY]: sessionKey, [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: other }, pkpSigning, Date.now())).toBe(false);
    const good = walletSig({ expiresAt: new Date(Date.now() + 2 * HOUR), grants: [{ kind: 'pkp', id: '*' }] });
    expect(serves({ [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: good }, pkpSigning, Date.now())).toBe(false);
  });

  it.each([
    ['nothing stored', {}],
    ['a wallet sig that is not JSON', { [SDK_STORAGE_KEYS.SESSION_KEY]: sessionKey, [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: 'not json' }],
    [
      'a SIWE message without resources',
      {
        [SDK_STORAGE_KEYS.SESSION_KEY]: sessionKey,
        [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: JSON.stringify({
          signedMessage: `URI: ${uriOf(SESSION_PUBLIC_KEY)}\nExpiration Time: ${new Date(Date.now() + HOUR).toISOString()}`,
        }),
      },
    ],
    [
      'a resource that is not a recap',
      {
        [SDK_STORAGE_KEYS.SESSION_KEY]: sessionKey,
        [SDK_STORAGE_KEYS.WALLET_SIGNATURE]: JSON.stringify({
          signedMessage: `URI: ${uriOf(SESSION_PUBLIC_KEY)}\nExpiration Time: ${new Date(Date.now() + HOUR).toISOString()}\nResources:\n- urn:recap:!!!`,
        }),
      },
    ],
  ])('answers false for %s (the SDK then decides)', (_label, entries) => {
    expect(serves(entries as Record<string, string>, pkpSigning, Date.now())).toBe(false);
  });
});
