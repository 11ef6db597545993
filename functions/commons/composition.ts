/**
 * Per-environment composition shared by the handlers: config, table adapters, owner key and the
 * Lit adapters, each built once on first use and then kept for the life of the environment.
 * Lazy rather than eager so that importing a handler (tests, the local server) never throws
 * before the environment is set, and so that a function builds only what it uses.
 */
import { ConfigError, readRuntimeConfig, type RuntimeConfig } from './config';
import { createDynamoAdapters, type DynamoAdapters } from './adapters/dynamodb';
import { createOwnerKeySource } from './adapters/secrets';
import type { OwnerKeySource } from './ports';
import { TABLE_NAME_ENV } from './table';
import { createServiceDynamoClient } from './adapters/dynamodb/client';
import { traceAwsClient } from './powertools';

/** Memoizes `make`; a throw is not memoized (the next call tries again). */
export function lazy<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value;
  };
}

export const runtimeConfig = lazy((): RuntimeConfig => readRuntimeConfig());

export const tableAdapters = lazy((): DynamoAdapters => {
  const tableName = process.env[TABLE_NAME_ENV];
  if (!tableName) throw new ConfigError([`${TABLE_NAME_ENV} is not set`]);
  // One client per environment, traced where tracing is on; endpoint from AWS_ENDPOINT_URL_DYNAMODB when set.
  const client = traceAwsClient(createServiceDynamoClient());
  // The environment keeps scopes and the delegation between requests (safe: see their modules).
  return createDynamoAdapters({ tableName, client, auditRetentionDays: runtimeConfig().auditRetentionDays, environmentCaches: true });
});

export const ownerKey: OwnerKeySource = (() => {
  const source = lazy(() => createOwnerKeySource());
  return () => source()();
})();

/** Like `lazy`, for promises: a rejected one is forgotten so the next call tries again. */
export function lazyAsync<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= make().catch((e: unknown) => {
      pending = undefined;
      throw e;
    }));
}
