/**
 * The one way the domain gets session sigs: an issuer that takes the session scope as a
 * parameter and runs the SDK call inside it, so "must run inside runInSessionScope" is a type,
 * not a comment.
 */
import type { SessionScopeStore, SessionSigIssuer, UnscopedSessionSigIssuer } from '../ports';
import { runInSessionScope } from './run-in-session-scope';

/** `sdk` bound to `store`: each call loads its scope, runs `sdk` with it bound, writes it back at most once. */
export function scopedIssuer(sdk: UnscopedSessionSigIssuer, store: SessionScopeStore): SessionSigIssuer {
  return { getPkpSessionSigs: (scope, params, options) => runInSessionScope(store, scope, () => sdk.getPkpSessionSigs(params), options) };
}
