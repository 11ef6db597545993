/**
 * Reads the expiry of a stored wallet sig without trusting anything else in it. The wallet sig is
 * JSON `{ sig, derivedVia, signedMessage, address }` where `signedMessage` is a SIWE (EIP-4361)
 * message; its `Expiration Time:` line bounds how long the cached sig is worth keeping.
 */

const EXPIRATION_LINE = /^Expiration Time: (.+)$/m;

/** Unix ms of the wallet sig's expiry, or undefined when the value is absent or not understood. */
export function walletSigExpiryMs(raw: string | null | undefined): number | undefined {
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const message = (parsed as { signedMessage?: unknown }).signedMessage;
  if (typeof message !== 'string') return undefined;
  const match = EXPIRATION_LINE.exec(message);
  if (!match) return undefined;
  const ms = Date.parse(match[1].trim());
  return Number.isFinite(ms) ? ms : undefined;
}
