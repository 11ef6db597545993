/**
 * Capacity credits: the real node's rate limiter as pkp/sign runs it, `check_rate_limit`
 * (rust/lit-node/src/rate_limiting/mod.rs:23-160) over
 * `get_owned_and_authorized_rate_limit_nfts` (rate_limiting/data.rs:467-521), only when the node's
 * `enable_rate_limiting` is on (`ctx.rateLimiting`).
 *
 * The NFTs (RateLimitNFT "capacity credits") that may pay for a request are:
 * - those granted by the capacity delegations among the session's capabilities (data.rs:148-307):
 *   a capability whose ReCap has a `lit-ratelimitincrease://…` key with `Auth/Auth`; each of its
 *   nota-bene maps is one delegation: `delegate_to` (hex addresses WITHOUT 0x, lower-cased for the
 *   compare; [] = nobody, absent = anybody), `uses` (a JSON string), `nft_id` (decimal strings; absent
 *   = every unexpired NFT the delegation's SIWE address owns);
 * - those the user address (the first valid capability's `address`) owns (data.rs:616-670).
 * Before anything else EVERY capability of the session must parse and validate (data.rs:170-177),
 * or the request fails with that capability's error.
 *
 * With `enable_rate_limiting_allocation` off (the node's default) one unexpired NFT is enough and
 * nothing is counted. With it on (`ctx.rateLimitAllocation`) each node allows Σ rpk/1000 requests per
 * second over the chain's window and counts each delegation's uses (UsageLedger).
 *
 * Deliberate differences:
 * - The node runs the three sources concurrently and takes the first that yields an NFT (with
 *   allocation off); the devnet runs them in order (delegations, then owned NFTs), so a capability
 *   error always wins, as it does in practice on the node (it needs no RPC call to surface).
 * - PaymentDelegation payers (data.rs:309-463) are not emulated: the devnet's ChainView has no
 *   PaymentDelegation contract.
 * - Counters may persist across restarts (see usage-ledger.ts); the node's are in memory.
 */
import { ethers } from 'ethers';
import type { CapacityTokenInfo } from '../chain/chain-view';
import type { NodeContext } from './node-context';
import { PublicErrorRefusal, rateLimitExceeded } from './node-error';
import type { Capability } from './recap';
import {
  extractAndVerifyAllCapabilities,
  handle,
  litErr,
  LitFailure,
  parseCapabilitySiweMessage,
  validateCapabilityAuthSig,
  type SessionKeySignedMessage,
} from './session-sig';
import { UsageLedger } from './usage-ledger';

/** A handler panic, as Rocket's 500 catcher answers it (rust/lit-node/src/main.rs:115-139). */
export function handlerPanic(): PublicErrorRefusal {
  return new PublicErrorRefusal('NodeSystemFault', ['caught rocket 500: internal server error'], { kind: 'Unexpected', withoutCorrelationId: true });
}

/** `PossiblyDelegatedRateLimitNft` (rate_limiting/models.rs:80-85). */
interface NftEntry {
  token: CapacityTokenInfo;
  /** The delegation's uses key (sha256 of its sig), for NFTs granted by a delegation. */
  usesKey?: string;
}

const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
/** The scheme of a ReCap resource URI (iri-string `scheme_str`). */
const schemeOf = (uri: string): string => uri.slice(0, Math.max(0, uri.indexOf(':')));

/** Rust `str::parse::<u64>`: an optional `+`, then decimal digits, at most u64::MAX. */
function parseU64(text: string): bigint | undefined {
  if (!/^\+?[0-9]+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n <= 18446744073709551615n ? n : undefined;
}

/** uint `U256::from_dec_str`: decimal digits only (an empty string is 0), below 2^256. */
function parseU256Dec(text: string): string | undefined {
  if (!/^[0-9]*$/.test(text)) return undefined;
  const n = BigInt(text === '' ? '0' : text);
  return n < 1n << 256n ? n.toString() : undefined;
}

/** A chain read that failed: `blockchain_err_code(e, NodeBlockchainError)`. */
async function chainRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw handle(litErr('Blockchain', e instanceof Error ? e.message : String(e), 'NodeBlockchainError'));
  }
}

const unexpired = (token: CapacityTokenInfo, nowMs: number): boolean => token.expiresAt * 1000 > nowMs;

/** `fetch_rate_limit_nfts_by_ids` (data.rs:529-572): unknown and expired tokens are skipped; with allocation off the first one found is enough. */
async function nftsByIds(ctx: NodeContext, ids: string[], nowMs: number): Promise<CapacityTokenInfo[]> {
  const out: CapacityTokenInfo[] = [];
  for (const id of ids) {
    const token = await chainRead(() => ctx.chainView.capacityToken(id));
    if (!token || !unexpired(token, nowMs)) continue;
    out.push(token);
    if (!ctx.rateLimitAllocation) return out;
  }
  return out;
}

/** `get_rate_limit_nfts_by_owner` (data.rs:616-670). */
async function nftsOwnedBy(ctx: NodeContext, owner: string, nowMs: number): Promise<CapacityTokenInfo[]> {
  const out: CapacityTokenInfo[] = [];
  for (const token of await chainRead(() => ctx.chainView.capacityTokensOwnedBy(owner))) {
    if (!unexpired(token, nowMs)) continue;
    out.push(token);
    if (!ctx.rateLimitAllocation) return out;
  }
  return out;
}

/** `get_authorized_rate_limit_nfts_via_delegation_signature` (data.rs:148-307). */
async function delegatedNfts(ctx: NodeContext, message: SessionKeySignedMessage, userHex: string, nowMs: number): Promise<NftEntry[]> {
  const entries: NftEntry[] = [];
  for (const capabilityAuthSig of message.capabilities) {
    let capabilities: Capability[];
    let delegator: string;
    try {
      delegator = parseCapabilitySiweMessage(capabilityAuthSig.signedMessage).address;
      const fields = validateCapabilityAuthSig(ctx, capabilityAuthSig);
      try {
        capabilities = extractAndVerifyAllCapabilities(fields);
      } catch (e) {
        if (e instanceof LitFailure) continue; // a statement that does not match: not a delegation
        throw e;
      }
    } catch (e) {
      if (e instanceof LitFailure) throw handle(e.error);
      throw e;
    }
    const usesKey = UsageLedger.keyOf(capabilityAuthSig.sig);
    for (const capability of capabilities) {
      for (const uri of Object.keys(capability.att).sort(byBytes)) {
        if (schemeOf(uri) !== 'lit-ratelimitincrease') continue;
        const abilities = capability.att[uri];
        for (const ability of Object.keys(abilities).sort(byBytes)) {
          if (ability !== 'Auth/Auth') continue;
          for (const nb of abilities[ability]) {
            if (has(nb, 'delegate_to')) {
              // `.expect("delegate_to is not an array")` and `.expect(... member to string)`: panics.
              const delegateTo = nb.delegate_to;
              if (!Array.isArray(delegateTo)) throw handlerPanic();
              const isDelegate = delegateTo.some((x: unknown) => {
                if (typeof x !== 'string') throw handlerPanic();
                return x.toLowerCase() === userHex; // entries written with 0x never match, as on the node
              });
              if (!isDelegate) continue;
            }
            if (has(nb, 'uses')) {
              if (typeof nb.uses !== 'string') throw handlerPanic();
              const maxUses = parseU64(nb.uses);
              if (maxUses === undefined) throw handlerPanic();
              if (BigInt(ctx.usage.usesOn(usesKey, ctx.index)) >= maxUses) continue;
            }
            let tokens: CapacityTokenInfo[];
            if (has(nb, 'nft_id')) {
              // Non-strings and unparsable ids are dropped; a non-array is no ids. The delegator is NOT
              // required to own the NFTs: the node fetches the owner (data.rs:601-605) but never compares it.
              const ids = Array.isArray(nb.nft_id)
                ? nb.nft_id.filter((x: unknown): x is string => typeof x === 'string').flatMap((x: string) => parseU256Dec(x) ?? [])
                : [];
              tokens = await nftsByIds(ctx, ids, nowMs);
            } else {
              tokens = await nftsOwnedBy(ctx, ethers.utils.getAddress(delegator), nowMs);
            }
            entries.push(...tokens.map((token) => ({ token, usesKey })));
          }
        }
      }
    }
  }
  return entries;
}

/**
 * `check_rate_limit` for a request whose user address is `userAddress` (20 bytes). Resolves when
 * the request may go on; throws the capability error, a handler panic, or the `rate_limit_exceeded`
 * body (pkp.rs:127-137).
 */
export async function checkRateLimit(ctx: NodeContext, message: SessionKeySignedMessage, userAddress: Uint8Array): Promise<void> {
  if (!ctx.rateLimiting) return;
  const nowMs = ctx.now();
  const userHex = Buffer.from(userAddress).toString('hex');
  const early = !ctx.rateLimitAllocation;

  const entries = await delegatedNfts(ctx, message, userHex, nowMs);
  if (early && entries.length > 0) return;
  entries.push(...(await nftsOwnedBy(ctx, ethers.utils.getAddress(`0x${userHex}`), nowMs)).map((token) => ({ token })));
  if (early && entries.length > 0) return;

  // A HashSet on the node: the same NFT under the same key counts once.
  const seen = new Set<string>();
  const all = entries.filter((e) => {
    const id = `${e.token.tokenId}|${e.usesKey ?? ''}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });

  const windowMs = ctx.rateLimitWindowSeconds * 1000;
  if (all.length > 0) {
    // f32 arithmetic, as the node's (data.rs:32-101, 674-707; mod.rs:103-130).
    const f = Math.fround;
    const window = f(ctx.rateLimitWindowSeconds);
    const rps = (token: CapacityTokenInfo): number => {
      if (token.requestsPerKilosecond > 0xffffffffn) throw handlerPanic(); // U256::as_u32
      return f(f(Number(token.requestsPerKilosecond)) / 1000);
    };
    let permitted = 0;
    for (const { token } of all) if (unexpired(token, nowMs)) permitted = f(permitted + rps(token));
    let used = 0;
    const windowStart = nowMs - windowMs;
    for (const { token, usesKey } of all) {
      const timestamps = ctx.usage.nftTimestamps(ctx.index, token.tokenId);
      if (timestamps) {
        // drop_usage_entries_older_than_time (data.rs:711-725)
        let newestOld = -1;
        for (let k = timestamps.length - 1; k >= 0; k--) {
          if (timestamps[k] < windowStart) {
            newestOld = k;
            break;
          }
        }
        if (newestOld >= 0) timestamps.splice(0, newestOld + 1);
        const existing = f(f(timestamps.length) / window);
        used = f(used + existing);
        if (existing >= rps(token)) continue; // at quota: no timestamp, no use counted
        timestamps.push(nowMs);
      } else {
        ctx.usage.startNftTimestamps(ctx.index, token.tokenId, nowMs);
      }
      if (usesKey !== undefined) ctx.usage.countUse(usesKey, ctx.index);
    }
    used = f(used + f(1 / window));
    if (used <= permitted) return;
  }

  // get_oldest_timestamp (data.rs:104-145): try again when the oldest request leaves the window.
  let oldest: number | undefined;
  for (const { token } of all) {
    const first = ctx.usage.nftTimestamps(ctx.index, token.tokenId)?.[0];
    if (first !== undefined && (oldest === undefined || first < oldest)) oldest = first;
  }
  throw rateLimitExceeded(oldest === undefined ? undefined : new Date(oldest + windowMs));
}
