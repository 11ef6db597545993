/**
 * Fails any network access that is not to the loopback interface. The local stack installs it in
 * every emulated function (nothing leaves the machine) and the devnet tests use it to prove the
 * real Lit SDK runs fully offline. Wraps `globalThis.fetch` (the SDK's node requests and blockhash
 * refresh) and `http.request` / `https.request` / `http.get` / `https.get` (ethers' JSON-RPC,
 * including the SDK's fallback public RPCs, and the AWS SDK). Every blocked attempt is recorded.
 */
import http from 'node:http';
import https from 'node:https';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export interface OfflineGuard {
  /** URLs (or hosts) of blocked attempts. */
  readonly blocked: string[];
  restore(): void;
}

function hostOfRequestArgs(args: unknown[]): string | undefined {
  const first = args[0];
  if (typeof first === 'string') return new URL(first).hostname;
  if (first instanceof URL) return first.hostname;
  const opts = (first ?? {}) as { hostname?: string; host?: string };
  return opts.hostname ?? opts.host?.replace(/:\d+$/, '') ?? 'localhost';
}

export function installOfflineGuard(): OfflineGuard {
  const blocked: string[] = [];
  const realFetch = globalThis.fetch;
  const realHttpRequest = http.request;
  const realHttpsRequest = https.request;
  const realHttpGet = http.get;
  const realHttpsGet = https.get;

  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (!LOOPBACK.has(url.hostname)) {
      blocked.push(url.href);
      throw new TypeError(`offline guard: blocked fetch to ${url.host}`);
    }
    return realFetch(input, init);
  }) as typeof fetch;

  const guard = <T extends (...args: never[]) => unknown>(real: T, scheme: string): T =>
    ((...args: unknown[]) => {
      const host = hostOfRequestArgs(args);
      if (host === undefined || !LOOPBACK.has(host)) {
        blocked.push(`${scheme}://${host}`);
        throw new Error(`offline guard: blocked ${scheme} request to ${host}`);
      }
      return (real as unknown as (...a: unknown[]) => unknown)(...args);
    }) as unknown as T;
  http.request = guard(realHttpRequest, 'http');
  https.request = guard(realHttpsRequest, 'https');
  // `get` calls the module's own request function, not the exported one: it needs its own guard.
  http.get = guard(realHttpGet, 'http');
  https.get = guard(realHttpsGet, 'https');

  return {
    blocked,
    restore() {
      globalThis.fetch = realFetch;
      http.request = realHttpRequest;
      https.request = realHttpsRequest;
      http.get = realHttpGet;
      https.get = realHttpsGet;
    },
  };
}
