/**
 * Talking to the local stack over HTTP: the small client tests and the demo use, and the
 * copy-paste curl `npm start` prints.
 */
import { CALLER_HEADER } from './http-gateway';
import type { LocalPkp } from './local-config';

export interface LocalResponse {
  status: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the parsed JSON body, read by tests by shape; a wrong guess fails their assertion
  body: any;
  text: string;
}

export interface LocalRequestOptions {
  caller?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export async function httpRequest(base: string, method: 'GET' | 'POST', p: string, opts: LocalRequestOptions): Promise<LocalResponse> {
  const headers: Record<string, string> = { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
  if (opts.caller !== undefined) headers[CALLER_HEADER] = opts.caller;
  const body =
    typeof opts.rawBody === 'string'
      ? opts.rawBody
      : opts.rawBody
        ? new Uint8Array(opts.rawBody)
        : opts.body === undefined
          ? undefined
          : JSON.stringify(opts.body);
  const res = await fetch(`${base}${p}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the text
  }
  const resHeaders: Record<string, string> = {};
  res.headers.forEach((v, k) => (resHeaders[k] = v));
  return { status: res.status, headers: resHeaders, body: parsed, text };
}

/** The copy-paste curl `npm start` prints. */
export function curlFor(url: string, pkp: LocalPkp, caller?: string, resourceId = '*', extra: Record<string, unknown> = {}): string {
  const body = JSON.stringify({
    pkpPublicKey: pkp.publicKey,
    resourceAbilityRequests: [{ resource: { kind: 'pkp', id: resourceId }, ability: 'pkp-signing' }],
    ...extra,
  });
  const callerFlag = caller ? ` -H '${CALLER_HEADER}: ${caller}'` : '';
  return `curl -sS -X POST ${url}/session-sigs -H 'content-type: application/json'${callerFlag} -d '${body}'`;
}
