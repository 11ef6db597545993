/**
 * A devnet that fails to start leaves nothing behind: no server, no timer, no anvil process, and
 * the error says why.
 */
import { startDevnet } from '../../devnet';
import { occupiedPort } from '../helpers/ports';
import { childrenNamed } from '../helpers/processes';

const servers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('startDevnet failing part way', () => {
  let busy: Awaited<ReturnType<typeof occupiedPort>>;

  beforeAll(async () => {
    busy = await occupiedPort();
  });

  afterAll(async () => {
    await busy.release();
  });

  it('rejects when a node port is taken, after stopping the chain and the nodes already listening', async () => {
    const serversBefore = servers();
    const timersBefore = timers();
    const busyPort = busy.port;
    await expect(startDevnet({ nodeCount: 2, ports: [0, busyPort], blockTimeMs: 50 })).rejects.toThrow(/EADDRINUSE/);
    // Give closed handles one turn of the event loop to leave the list.
    await new Promise((resolve) => setImmediate(resolve));
    expect(servers()).toBe(serversBefore);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
    expect(childrenNamed(process.pid, 'anvil')).toEqual([]);
  });
});
