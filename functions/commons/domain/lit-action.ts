/**
 * How the service names a Lit Action: by the IPFS CID a Lit node gives it, plus a digest of the
 * `jsParams` it runs with. The CID decides the policy (inline code is allowed or refused by its
 * CID) and, with the digest, the storage scope: a wallet sig the nodes signed because one action
 * answered true for one set of parameters is never reused for another action or other parameters.
 *
 * The CID is computed as LIT-Protocol/Node does for inline code (`web_client.rs`
 * sign_session_key: `IpfsHasher::default().compute(code_bytes)`, crate ipfs-hasher 0.13: CIDv0,
 * dag-pb UnixFS, 256 KiB chunks), with `ipfs-only-hash`, the package the Lit SDK's own
 * `getIpfsId` uses. Inline code is bounded well under one chunk (issue-request.ts), so the CID is
 * that of one leaf node, where the two implementations cannot differ in DAG layout.
 *
 * ipfs-only-hash (and its UnixFS importer) loads on first use only: requests without inline code
 * never pay for it.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export type JsParams = Record<string, unknown>;

/** A Lit Action as a request names it: by CID, or by its code. */
export type LitActionSource =
  | { kind: 'ipfs'; ipfsId: string }
  /** `codeBase64` is sent to the nodes as it came (the SDK's `litActionCode`, the node's `code`); `code` is its bytes. */
  | { kind: 'inline'; codeBase64: string; code: Uint8Array };

export interface LitActionRequest {
  source: LitActionSource;
  jsParams: JsParams;
}

/** What the policy, the storage scope and the audit see of an action. Never the jsParams values. */
export interface LitActionIdentity {
  /** CIDv0 (`Qm…`): the one asked, or the one the nodes compute from the inline code. */
  cid: string;
  inline: boolean;
  /** sha256 (hex) of the RFC 8785 canonical JSON of jsParams. */
  jsParamsDigest: string;
}

/** The IPFS CIDv0 a Lit node computes for action code `code`. */
export async function litActionCid(code: Uint8Array): Promise<string> {
  const { of } = await import('ipfs-only-hash');
  return of(code);
}

/**
 * sha256 of the RFC 8785 (JCS) canonical form: key order and number or string spelling do not
 * change the digest, so the same parameters always land in the same scope.
 */
export function jsParamsDigest(jsParams: JsParams): string {
  const canonical = canonicalize(jsParams);
  if (canonical === undefined) throw new Error('jsParams has no canonical JSON form');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export async function identifyLitAction(action: LitActionRequest): Promise<LitActionIdentity> {
  const { source } = action;
  const cid = source.kind === 'ipfs' ? source.ipfsId : await litActionCid(source.code);
  return { cid, inline: source.kind === 'inline', jsParamsDigest: jsParamsDigest(action.jsParams) };
}

/**
 * The scope's auth identity for an action. The action is the whole authentication (no auth
 * method is sent with it), so it replaces the owner or auth-method identity. Inline code and the
 * same code by CID share it: the nodes treat them alike (the same CID enters the session's auth).
 */
export function litActionAuthIdentity(identity: LitActionIdentity): string {
  return `action:${identity.cid}:${identity.jsParamsDigest}`;
}
