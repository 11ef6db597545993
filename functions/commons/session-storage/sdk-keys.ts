/**
 * The localStorage keys the Lit SDK v7 uses (`LOCAL_STORAGE_KEYS` in @lit-protocol/constants).
 * Copied rather than imported so this module stays free of the SDK; a test pins them to the
 * SDK's own values.
 */
export const SDK_STORAGE_KEYS = {
  /** JSON `{ publicKey, secretKey }`: the session key pair. Secret. */
  SESSION_KEY: 'lit-session-key',
  /** JSON auth sig over a SIWE message that authorises the session key. */
  WALLET_SIGNATURE: 'lit-wallet-sig',
} as const;
