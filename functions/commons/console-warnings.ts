/**
 * The Lit SDK reports through `console.warn` (`Storage key "…" is missing. Not a problem.` on every
 * wallet-sig cache miss, `Error parsing walletSig` with the parse error, …). In Lambda those land
 * in the function's log as plain text, outside the structured lines every alarm and query reads.
 * Routed through the Powertools logger instead: one JSON line each, with the request id the
 * logger carries, `origin: "console.warn"`.
 *
 * Nothing secret gets through: only a leading string argument becomes the message (at most 200
 * characters, with any run of 32+ hex or base64 characters replaced by `[redacted]`: keys, sigs);
 * any other argument is named by its type only (a SyntaxError's text can quote the JSON it failed
 * on, a wallet sig). The SDK's "not a problem" notices are DEBUG; anything else WARN.
 */
import type { Logger } from '@aws-lambda-powertools/logger';

const MAX_MESSAGE_CHARS = 200;
/** Long hex or base64 runs: private keys, signatures, session keys. */
const SECRET_LOOKING = /(0x)?[0-9a-fA-F]{32,}|[A-Za-z0-9+/_-]{32,}={0,2}/g;
/** What the SDK says when it merely did not find something it will make: expected on cache misses. */
const BENIGN = /not a problem/i;

/** Of `console.warn`'s arguments: a safe message and the types of the rest. */
export function describeWarning(args: unknown[]): { message: string; argumentTypes: string[] } {
  const [first, ...rest] = args;
  const text = typeof first === 'string' ? first : '(no message)';
  const others = typeof first === 'string' ? rest : args;
  const bounded = text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
  return {
    message: bounded.replace(SECRET_LOOKING, '[redacted]'),
    argumentTypes: others.map((a) => (a instanceof Error ? a.name || 'Error' : a === null ? 'null' : Array.isArray(a) ? 'array' : typeof a)),
  };
}

let installed = false;

/** Replaces `console.warn` for this environment (once; later calls are no-ops). */
export function routeConsoleWarnings(logger: Pick<Logger, 'warn' | 'debug'>): void {
  if (installed) return;
  installed = true;
  const original = console.warn.bind(console);
  let inside = false;
  console.warn = (...args: unknown[]) => {
    // A logger that itself wrote through console.warn would come back here: let that through.
    if (inside) return original(...args);
    inside = true;
    try {
      const { message, argumentTypes } = describeWarning(args);
      const extra = { origin: 'console.warn', ...(argumentTypes.length > 0 ? { argumentTypes } : {}) };
      if (BENIGN.test(message)) logger.debug(message, extra);
      else logger.warn(message, extra);
    } finally {
      inside = false;
    }
  };
}
