/**
 * DynamoDB Local as the local stack and the tests run it: loopback only, ephemeral or fixed port,
 * a service table with the TTL spec, data kept in a dataDir across stops and restarts, and no
 * Java process left running after stop().
 */
import { DescribeTableCommand, DescribeTimeToLiveCommand, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { TABLE_KEYS } from '../../functions/commons/table';
import { createLocalClient, PERSISTENT_TABLE_NAME, startDynamoDbLocal } from '../../local/dynamodb-local';
import { connects, freePort } from '../helpers/ports';

test('starts on 127.0.0.1 with a service table, serves several tables, and stops cleanly', async () => {
  const ddb = await startDynamoDbLocal();
  try {
    expect(ddb.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ddb.port).toBeGreaterThan(1024);
    expect(ddb.port).not.toBe(8000);
    console.log(`DynamoDB Local start: ${ddb.startMs} ms`);

    const table = await ddb.client.send(new DescribeTableCommand({ TableName: ddb.tableName }));
    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    const ttl = await ddb.client.send(new DescribeTimeToLiveCommand({ TableName: ddb.tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: TABLE_KEYS.ttlAttribute, TimeToLiveStatus: 'ENABLED' });

    const second = await ddb.createTable();
    const named = await ddb.createTable('named-table');
    expect(named).toBe('named-table');
    const tables = await createLocalClient(ddb.endpoint).send(new ListTablesCommand({}));
    expect(tables.TableNames).toEqual(expect.arrayContaining([ddb.tableName, second, named]));
  } finally {
    await ddb.stop();
  }
  expect(await connects(ddb.port)).toBe(false);
  await ddb.stop(); // idempotent
});

/** True while a process with this id exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const item = (id: string) => ({ [TABLE_KEYS.partitionKey]: { S: `test#${id}` }, [TABLE_KEYS.sortKey]: { S: 'item' }, marker: { S: id } });
const key = (id: string) => ({ [TABLE_KEYS.partitionKey]: { S: `test#${id}` }, [TABLE_KEYS.sortKey]: { S: 'item' } });

describe('persistent data, fixed ports and restart', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddb-local-test-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  test('a dataDir keeps the service table and its items across stop and a new start', async () => {
    const first = await startDynamoDbLocal({ dataDir });
    try {
      expect(first.persistent).toBe(true);
      expect(first.tableName).toBe(PERSISTENT_TABLE_NAME);
      await first.client.send(new PutItemCommand({ TableName: first.tableName, Item: item('kept') }));
    } finally {
      await first.stop();
    }
    expect(fs.readdirSync(dataDir).some((f) => f.endsWith('.db'))).toBe(true);

    const second = await startDynamoDbLocal({ dataDir });
    try {
      expect(second.tableName).toBe(first.tableName);
      const got = await second.client.send(new GetItemCommand({ TableName: second.tableName, Key: key('kept') }));
      expect(got.Item?.marker).toEqual({ S: 'kept' });
      // The TTL spec set when the table was first created survives too.
      const ttl = await second.client.send(new DescribeTimeToLiveCommand({ TableName: second.tableName }));
      expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    } finally {
      await second.stop();
    }
  });

  test('listens on a fixed port when asked', async () => {
    const port = await freePort();
    const ddb = await startDynamoDbLocal({ port });
    try {
      expect(ddb.port).toBe(port);
      expect(ddb.endpoint).toBe(`http://127.0.0.1:${port}`);
      const tables = await createLocalClient(`http://127.0.0.1:${port}`).send(new ListTablesCommand({}));
      expect(tables.TableNames).toContain(ddb.tableName);
    } finally {
      await ddb.stop();
    }
    expect(await connects(port)).toBe(false);
  });

  test('a fixed port already in use fails with PORT_IN_USE and leaves no Java process', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(startDynamoDbLocal({ port })).rejects.toMatchObject({
        name: 'DynamoDbLocalError',
        code: 'PORT_IN_USE',
        message: expect.stringContaining(String(port)),
      });
      // pgrep exits 1 when no process matches: the failed launcher is gone.
      expect(spawnSync('pgrep', ['-f', `Dloopback.port=${port} `]).status).toBe(1);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('restart() keeps the port and the data; the same client works after it; the old process is gone', async () => {
    const ddb = await startDynamoDbLocal({ dataDir });
    try {
      await ddb.client.send(new PutItemCommand({ TableName: ddb.tableName, Item: item('before') }));
      const firstPid = ddb.pid()!;
      expect(alive(firstPid)).toBe(true);

      await ddb.restart();
      expect(alive(firstPid)).toBe(false);
      expect(ddb.pid()).not.toBe(firstPid);
      expect(await connects(ddb.port)).toBe(true);
      const got = await ddb.client.send(new GetItemCommand({ TableName: ddb.tableName, Key: key('before') }));
      expect(got.Item?.marker).toEqual({ S: 'before' });

      // Down mid-run, as a test would do it: requests fail while down, work again after restart().
      await ddb.stop();
      expect(ddb.running()).toBe(false);
      await expect(ddb.client.send(new GetItemCommand({ TableName: ddb.tableName, Key: key('before') }))).rejects.toThrow();
      await ddb.restart();
      const again = await ddb.client.send(new GetItemCommand({ TableName: ddb.tableName, Key: key('before') }));
      expect(again.Item?.marker).toEqual({ S: 'before' });
    } finally {
      await ddb.stop();
    }
  });

  test('restart() in memory comes back on the same port with an empty service table', async () => {
    const ddb = await startDynamoDbLocal();
    try {
      await ddb.client.send(new PutItemCommand({ TableName: ddb.tableName, Item: item('lost') }));
      const port = ddb.port;
      await ddb.restart();
      expect(ddb.port).toBe(port);
      const got = await ddb.client.send(new GetItemCommand({ TableName: ddb.tableName, Key: key('lost') }));
      expect(got.Item).toBeUndefined();
    } finally {
      await ddb.stop();
    }
  });

  test('stop() leaves no Java process, and is idempotent', async () => {
    const ddb = await startDynamoDbLocal({ dataDir });
    const pid = ddb.pid()!;
    expect(alive(pid)).toBe(true);
    await Promise.all([ddb.stop(), ddb.stop()]);
    expect(alive(pid)).toBe(false);
    expect(ddb.pid()).toBeUndefined();
    await ddb.stop();
  });
});

test('without Java on PATH, start fails with JAVA_MISSING saying what is needed', async () => {
  const savedPath = process.env.PATH;
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-java-'));
  process.env.PATH = empty;
  try {
    await expect(startDynamoDbLocal()).rejects.toMatchObject({
      code: 'JAVA_MISSING',
      message: expect.stringContaining('DynamoDB Local needs Java 17+ (java and javac on PATH)'),
    });
  } finally {
    process.env.PATH = savedPath;
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
