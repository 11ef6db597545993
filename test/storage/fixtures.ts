/**
 * Test fixtures for the storage tests: real SIWE wallet sigs (signed by a throwaway ethers
 * wallet, in the shape the Lit SDK stores under `lit-wallet-sig`), scopes, and a DynamoDB client
 * that records which commands it sent.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Wallet } from 'ethers';
import { SiweMessage } from 'siwe';
import type { SessionScope } from '../../functions/commons/ports';
import { createLocalClient, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';

const wallet = Wallet.createRandom();

/** A signed SIWE auth sig expiring at `expiresAtMs`, JSON-encoded as the SDK stores it. */
export async function walletSig(expiresAtMs: number, sessionKeyUri = 'lit:session:0000'): Promise<string> {
  const message = new SiweMessage({
    domain: 'localhost',
    address: wallet.address,
    statement: 'Lit session test',
    uri: sessionKeyUri,
    version: '1',
    chainId: 1,
    nonce: Math.random().toString(36).slice(2, 14).padEnd(10, '0'),
    issuedAt: new Date(Math.min(Date.now(), expiresAtMs - 60_000)).toISOString(),
    expirationTime: new Date(expiresAtMs).toISOString(),
  }).prepareMessage();
  const sig = await wallet.signMessage(message);
  return JSON.stringify({ sig, derivedVia: 'web3.eth.personal.sign', signedMessage: message, address: wallet.address });
}

/** A session key pair value in the SDK's shape; `marker` makes values distinguishable. */
export function sessionKey(marker: string): string {
  return JSON.stringify({ publicKey: `pub-${marker}`, secretKey: `SECRET-${marker}` });
}

let scopeCounter = 0;
/** A fresh scope; override one field to build a scope that differs from another in just that field. */
export function scope(overrides: Partial<SessionScope> = {}): SessionScope {
  scopeCounter++;
  return {
    pkpPublicKey: `0x04${scopeCounter.toString(16).padStart(128, 'a')}`,
    caller: `arn:aws:sts::123456789012:assumed-role/app-${scopeCounter}/session`,
    authIdentity: `owner:0x${'1'.repeat(40)}`,
    ...overrides,
  };
}

export interface CountingClient {
  client: DynamoDBClient;
  /** Command names in the order they were sent, e.g. ['GetItemCommand', 'PutItemCommand']. */
  commands: string[];
}

/** A client that records every command it sends (middleware at the initialize step). */
export function countingClient(endpoint: string, failOn?: (command: string) => Error | undefined): CountingClient {
  const client = createLocalClient(endpoint);
  const commands: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      commands.push(name);
      const failure = failOn?.(name);
      if (failure) throw failure;
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client, commands };
}

/** A promise plus its resolver, to force interleavings without timers. */
export function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * One DynamoDB Local for the test file and a fresh service table for each test: registers the
 * hooks; read `ddb` and `tableName` inside tests.
 */
export function dynamoDbLocalPerFile(): { readonly ddb: DynamoDbLocal; readonly tableName: string } {
  let ddb: DynamoDbLocal | undefined;
  let tableName: string | undefined;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
  });
  afterAll(async () => ddb?.stop());
  beforeEach(async () => {
    tableName = await ddb!.createTable();
  });
  return {
    get ddb() {
      return ddb!;
    },
    get tableName() {
      return tableName!;
    },
  };
}
