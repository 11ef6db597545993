/**
 * A devnet that fails to start leaves nothing behind: no server, no timer, and the error says why.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDevnet } from '../../devnet';

const servers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('startDevnet failing part way', () => {
  let busy: http.Server;

  beforeAll(async () => {
    busy = http.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => busy.close(resolve));
  });

  it('rejects when a node port is taken, after stopping the chain and the nodes already listening', async () => {
    const serversBefore = servers();
    const timersBefore = timers();
    const busyPort = (busy.address() as AddressInfo).port;
    await expect(startDevnet({ nodeCount: 2, ports: [0, busyPort], blockTimeMs: 50 })).rejects.toThrow(/EADDRINUSE/);
    // Give closed handles one turn of the event loop to leave the list.
    await new Promise((resolve) => setImmediate(resolve));
    expect(servers()).toBe(serversBefore);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });
});
