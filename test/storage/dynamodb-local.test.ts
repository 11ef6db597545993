/**
 * The DynamoDB Local test helper itself: loopback only, ephemeral port, a service table with
 * the TTL spec, and nothing left running after stop().
 */
import { DescribeTableCommand, DescribeTimeToLiveCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import * as net from 'node:net';
import { TABLE_KEYS } from '../../functions/commons/table';
import { createLocalClient, startDynamoDbLocal } from '../helpers/dynamodb-local';

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

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
