/**
 * The `Idempotency-Key` request header of the admin routes that change something: POST /pkps
 * mints on chain (a retry after a timeout would mint twice) and POST /delegation/refresh signs a
 * new delegation. As the server-wallet APIs do it (and the IETF httpapi Idempotency-Key draft):
 * - the same key with the same request returns the first result (header `idempotent-replayed`);
 * - the same key with another request is refused, 422 IDEMPOTENCY_KEY_REUSED;
 * - the same key while the first request still runs is refused, 409 IDEMPOTENCY_IN_PROGRESS;
 * - a request that failed leaves nothing behind: the same key may be retried;
 * - keys are remembered for IDEMPOTENCY_WINDOW_SECONDS, per caller (the role of an assumed-role
 *   session, as rate limits count), so two callers never see each other's results.
 * Without the header a request runs as before.
 *
 * Powertools' idempotency utility does the work, with its DynamoDB persistence layer on the
 * service table: partition `IDEMPOTENCY#<function id>` (the only part of the table MintPkp may
 * touch), the sort key holding the hashed key, the table's TTL attribute as the record's expiry.
 * It runs inside the route, after authorization and validation, so a refused request never
 * takes a key, and an error answer is never stored as a result.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { lazy } from './composition';
import { ConfigError } from './config';
import { invalid } from './domain/request-fields';
import { ServiceError, isServiceError } from './errors';
import { storageUnavailable } from './adapters/dynamodb/storage-errors';
import { TABLE_KEYS, TABLE_NAME_ENV, idempotencyPartition } from './table';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_REPLAYED_HEADER = 'idempotent-replayed';
/** How long a key is remembered (as the server-wallet APIs: a day). */
export const IDEMPOTENCY_WINDOW_SECONDS = 86_400;

/** Printable ASCII without the comma (a comma is how repeated headers are joined), 1 to 255. */
const KEY_FORMAT = /^[\x21-\x2b\x2d-\x7e]{1,255}$/;

/** The request's Idempotency-Key, undefined when absent; a malformed one is INVALID_REQUEST (never echoed). */
export function readIdempotencyKey(headers: Record<string, string | undefined> | undefined): string | undefined {
  const value = headers?.[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (!KEY_FORMAT.test(value)) throw invalid('Idempotency-Key', 'must be 1 to 255 printable ASCII characters, without commas (a UUID makes a good key)');
  return value;
}

export interface IdempotentInput {
  /** Whose key it is: the caller (rateLimitSubject of its ARN). */
  subject: string;
  /** The Idempotency-Key header, or undefined (then `work` simply runs). */
  key: string | undefined;
  /** The validated request in canonical form: what "the same request" compares. */
  request: unknown;
  /** When the function must have answered: a crashed run's key is free again after it. */
  deadlineMs: number;
}

/** What Powertools hashes: the key from [subject, key], the payload check from request. */
interface Payload {
  subject: string;
  key: string;
  request: unknown;
}

/** Runs route work under Idempotency-Key semantics for one function's partition. */
export function idempotentRoute<T>(functionId: string): (input: IdempotentInput, work: () => Promise<T>) => Promise<{ result: T; replayed: boolean }> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[subject, key]',
    payloadValidationJmesPath: 'request',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: IDEMPOTENCY_WINDOW_SECONDS,
    hashFunction: 'sha256',
  });
  const persistence = lazy(() => {
    const tableName = process.env[TABLE_NAME_ENV];
    if (!tableName) throw new ConfigError([`${TABLE_NAME_ENV} is not set`]);
    return new DynamoDBPersistenceLayer({
      tableName,
      keyAttr: TABLE_KEYS.partitionKey,
      sortKeyAttr: TABLE_KEYS.sortKey,
      staticPkValue: idempotencyPartition(functionId),
      expiryAttr: TABLE_KEYS.ttlAttribute,
      // The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when set (the local stack).
      awsSdkV3Client: new DynamoDBClient({}),
    });
  });

  return async (input, work) => {
    if (input.key === undefined) return { result: await work(), replayed: false };
    let ran = false;
    const idempotent = makeIdempotent(
      async (_payload: Payload) => {
        ran = true;
        // Stored as a DynamoDB map: plain JSON only (no undefined), and the replay returns the same.
        return JSON.parse(JSON.stringify(await work())) as T;
      },
      { persistenceStore: persistence(), config, keyPrefix: functionId },
    );
    // The in-progress record expires at the deadline: a run that died frees its key then.
    config.registerLambdaContext({ getRemainingTimeInMillis: () => Math.max(1, input.deadlineMs - Date.now()) } as Context);
    try {
      const result = await idempotent({ subject: input.subject, key: input.key, request: input.request });
      return { result, replayed: !ran };
    } catch (e) {
      throw idempotencyError(e);
    }
  };
}

/** Powertools' errors as the service's; the route's own errors pass through. */
function idempotencyError(e: unknown): unknown {
  if (isServiceError(e)) return e;
  const name = e instanceof Error ? e.name : '';
  if (name === 'IdempotencyValidationError') {
    return new ServiceError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request: use a new key for a new request');
  }
  if (name === 'IdempotencyAlreadyInProgressError') {
    return new ServiceError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running: retry it later for its result', {
      retryable: true,
    });
  }
  if (name === 'IdempotencyPersistenceLayerError' || name === 'IdempotencyInconsistentStateError' || name === 'IdempotencyItemNotFoundError') {
    // The DynamoDB error, when there is one, names the failure; its message is never shown.
    return storageUnavailable('idempotency record', (e as Error).cause ?? e);
  }
  return e;
}
