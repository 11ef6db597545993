/**
 * The one route table. The service stack makes one function and one HTTP API route from each
 * entry; the local server (`npm start`) serves the same table with the same handler files. What a
 * function may touch (`needs`) drives its IAM grants: a function that does not need the owner key
 * gets no permission to read it, and a function gets only the table operations it makes, on the
 * partitions it makes them on.
 */
import type { AuditAction } from '../functions/commons/ports';
import { DELEGATION_PARTITION } from '../functions/commons/table';

/**
 * The partitions of the single table, as the `dynamodb:LeadingKeys` patterns IAM matches
 * (`functions/commons/adapters/dynamodb/keys.ts` builds the values; a test checks they match).
 */
export const TABLE_PARTITIONS = {
  /** `DELEGATION`: the current capacity delegation and its history. */
  delegation: DELEGATION_PARTITION,
  /** `SCOPE#<sha256>`: session storage scopes, which hold session secret keys. */
  scopes: 'SCOPE#*',
  /** `RATE#<sha256(caller)>` and its shards `RATE#<sha256(caller)>#<n>`: per-caller, per-minute rate counters. */
  rateCounters: 'RATE#*',
  /** `AUDIT#<yyyy-mm-dd>#<shard>`: audit records, each day spread over AUDIT_SHARDS partitions. */
  audit: 'AUDIT#*',
  /**
   * `IDEMPOTENCY#<function id>`: Powertools idempotency records. Granted per function on its own
   * partition only (service-function.ts), never this pattern.
   */
  idempotency: 'IDEMPOTENCY#*',
} as const;
export type TablePartition = keyof typeof TABLE_PARTITIONS;

/**
 * The only table operations the adapters make; Scan and batch writes are never granted, DeleteItem
 * only on a function's own idempotency records (Powertools frees a key whose request failed), and
 * Query only to the refreshers on the delegation partition (the newest history version: versions
 * continue from it when CURRENT was removed).
 */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

/** What Powertools' DynamoDB persistence layer does with a function's idempotency records. */
export const IDEMPOTENCY_ACTIONS: readonly TableAction[] = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'];

export interface FunctionNeeds {
  /** Reads the owner's Ethereum private key from Secrets Manager. */
  ownerKey: boolean;
  /**
   * The item operations a function makes, per partition of the table; a partition not named gets
   * nothing. An empty object means no grant on the table or its key.
   */
  table: Partial<Record<TablePartition, readonly TableAction[]>>;
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
  /**
   * Only callers whose policy entry has `admin: true`: `apiHandler` (functions/commons/http.ts)
   * refuses anyone else (403 ADMIN_REQUIRED) before the handler runs. Also lowers the route's throttle.
   */
  admin: boolean;
  /**
   * The audit action of an admin route that writes one record per attempt. A caller `apiHandler`
   * refuses as not admin is then audited as refused too, as the route itself audits its refusals.
   */
  auditAction?: AuditAction;
}

export const ROUTES: readonly RouteDef[] = [
  {
    id: 'IssueSessionSigs',
    method: 'POST',
    path: '/session-sigs',
    entry: 'functions/issue-session-sigs.ts',
    description: 'Issue PKP session signatures for one PKP and a set of resource abilities',
    admin: false,
    // Rate counter, current delegation, the caller's scope (read, then at most one write), one audit record.
    needs: { ownerKey: true, table: { rateCounters: ['UpdateItem'], delegation: ['GetItem'], scopes: ['GetItem', 'PutItem'], audit: ['PutItem'] }, lit: true },
  },
  {
    id: 'GetDelegation',
    method: 'GET',
    path: '/delegation',
    entry: 'functions/get-delegation.ts',
    description: 'Show the current capacity delegation',
    admin: false,
    needs: { ownerKey: false, table: { delegation: ['GetItem'] }, lit: false },
  },
  {
    id: 'RefreshDelegation',
    method: 'POST',
    path: '/delegation/refresh',
    entry: 'functions/refresh-delegation.ts',
    description: 'Refresh the capacity delegation now (admin)',
    admin: true,
    auditAction: 'refresh-delegation',
    // The delegation partition (CURRENT and its history items), the caller's rate counter, one audit record.
    needs: {
      ownerKey: true,
      table: { delegation: ['GetItem', 'PutItem', 'Query'], rateCounters: ['UpdateItem'], audit: ['PutItem'], idempotency: IDEMPOTENCY_ACTIONS },
      lit: true,
    },
  },
  {
    id: 'ListPkps',
    method: 'GET',
    path: '/pkps',
    entry: 'functions/list-pkps.ts',
    description: 'List PKPs owned by the owner wallet (admin)',
    admin: true,
    // The owner address is public: it is read from the stored delegation, not from the key.
    needs: { ownerKey: false, table: { delegation: ['GetItem'] }, lit: true },
  },
  {
    id: 'MintPkp',
    method: 'POST',
    path: '/pkps',
    entry: 'functions/mint-pkp.ts',
    description: "Mint a PKP with the owner's address as a permitted EthWallet auth method (admin)",
    admin: true,
    auditAction: 'mint-pkp',
    // Mints on chain; in the table only the caller's rate counter, one audit record, and its own
    // Idempotency-Key records (a retried mint returns the first PKP).
    needs: { ownerKey: true, table: { rateCounters: ['UpdateItem'], audit: ['PutItem'], idempotency: IDEMPOTENCY_ACTIONS }, lit: true },
  },
  {
    id: 'Health',
    method: 'GET',
    path: '/health',
    entry: 'functions/health.ts',
    description: 'Readiness: Lit connection, delegation validity, capacity NFT expiry',
    admin: false,
    needs: { ownerKey: false, table: { delegation: ['GetItem'] }, lit: false },
  },
];

export type RouteId = (typeof ROUTES)[number]['id'];

/** The route table entry of `id`; throws for an id not in the table (a handler wired to no route). */
export function routeDef(id: string): RouteDef {
  const def = ROUTES.find((r) => r.id === id);
  if (!def) throw new Error(`No route ${id} in the route table`);
  return def;
}

/** Jobs that are not behind the API. */
export const DELEGATION_REFRESHER: FunctionDef = {
  id: 'DelegationRefresher',
  entry: 'functions/scheduled-refresh.ts',
  description: 'Scheduled: refresh the capacity delegation before it expires',
  // The delegation partition only (CURRENT and its history items).
  needs: { ownerKey: true, table: { delegation: ['GetItem', 'PutItem', 'Query'] }, lit: true },
  timeoutSeconds: 120,
};

export const ALL_FUNCTIONS: readonly FunctionDef[] = [...ROUTES, DELEGATION_REFRESHER];
