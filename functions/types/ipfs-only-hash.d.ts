/** ipfs-only-hash 4.0.0 ships no types; only what lit-action.ts uses. */
declare module 'ipfs-only-hash' {
  /** The IPFS CID of `content` as `ipfs add --only-hash` gives it (CIDv0 by default). */
  export function of(content: string | Uint8Array, options?: Record<string, unknown>): Promise<string>;
}
