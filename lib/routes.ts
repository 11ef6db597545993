/**
 * The one route table. The service stack makes one function and one HTTP API route from each
 * entry; the local server (`npm start`) serves the same table with the same handler files. What a
 * function may touch (`needs`) drives its IAM grants: a function that does not need the owner key
 * gets no permission to read it.
 */

export interface FunctionNeeds {
  /** Reads the owner's Ethereum private key from Secrets Manager. */
  ownerKey: boolean;
  /** Access to the service table ('none': no grant on the table or its key). */
  /**
   * 'read-delegation': may read the capacity delegation items only (a LeadingKeys condition), never
   * the session scopes, which hold session secret keys.
   * 'idempotency': may read and write its own Idempotency-Key records only (the
   * `IDEMPOTENCY#<id>` partition, a LeadingKeys condition).
   */
  table: 'none' | 'read-delegation' | 'idempotency' | 'readwrite';
  /** Loads the Lit SDK and talks to the Lit network or its chain. */
  lit: boolean;
}

export interface FunctionDef {
  /** Construct id and function-name suffix, PascalCase. */
  id: string;
  /** Handler file, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  needs: FunctionNeeds;
  /** @default 29 for API routes (API Gateway's integration limit is 30 s) */
  timeoutSeconds?: number;
  /** @default 1024: the Lit SDK's crypto is CPU-bound and Lambda CPU scales with memory */
  memoryMb?: number;
}

export interface RouteDef extends FunctionDef {
  method: 'GET' | 'POST';
  path: string;
  /** Documentation only: the handler enforces admin through the caller policy. */
  admin: boolean;
}

export const ROUTES: readonly RouteDef[] = [
  {
    id: 'IssueSessionSigs',
    method: 'POST',
    path: '/session-sigs',
    entry: 'functions/issue-session-sigs.ts',
    description: 'Issue PKP session signatures for one PKP and a set of resource abilities',
    admin: false,
    needs: { ownerKey: true, table: 'readwrite', lit: true },
  },
  {
    id: 'GetDelegation',
    method: 'GET',
    path: '/delegation',
    entry: 'functions/get-delegation.ts',
    description: 'Show the current capacity delegation',
    admin: false,
    needs: { ownerKey: false, table: 'read-delegation', lit: false },
  },
  {
    id: 'RefreshDelegation',
    method: 'POST',
    path: '/delegation/refresh',
    entry: 'functions/refresh-delegation.ts',
    description: 'Refresh the capacity delegation now (admin)',
    admin: true,
    needs: { ownerKey: true, table: 'readwrite', lit: true },
  },
  {
    id: 'ListPkps',
    method: 'GET',
    path: '/pkps',
    entry: 'functions/list-pkps.ts',
    description: 'List PKPs owned by the owner wallet (admin)',
    admin: true,
    // The owner address is public: it is read from the stored delegation, not from the key.
    needs: { ownerKey: false, table: 'read-delegation', lit: true },
  },
  {
    id: 'MintPkp',
    method: 'POST',
    path: '/pkps',
    entry: 'functions/mint-pkp.ts',
    description: "Mint a PKP with the owner's address as a permitted EthWallet auth method (admin)",
    admin: true,
    // Mints on chain; in the table, only its own Idempotency-Key records (a retried mint returns the first PKP).
    needs: { ownerKey: true, table: 'idempotency', lit: true },
  },
  {
    id: 'Health',
    method: 'GET',
    path: '/health',
    entry: 'functions/health.ts',
    description: 'Readiness: Lit connection, delegation validity, capacity NFT expiry',
    admin: false,
    needs: { ownerKey: false, table: 'read-delegation', lit: false },
  },
];

/** Jobs that are not behind the API. */
export const DELEGATION_REFRESHER: FunctionDef = {
  id: 'DelegationRefresher',
  entry: 'functions/scheduled-refresh.ts',
  description: 'Scheduled: refresh the capacity delegation before it expires',
  needs: { ownerKey: true, table: 'readwrite', lit: true },
  timeoutSeconds: 120,
};

export const ALL_FUNCTIONS: readonly FunctionDef[] = [...ROUTES, DELEGATION_REFRESHER];
