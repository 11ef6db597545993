import { LitConnection, type ConnectableClient } from '../../functions/commons/adapters/lit/connection';

/** A client double whose connect() fails a given number of times, and which can "drop". */
class FlakyClient implements ConnectableClient {
  ready = false;
  connects = 0;
  constructor(private failuresLeft: number) {}
  async connect(): Promise<void> {
    this.connects++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      this.ready = false;
      throw Object.assign(new Error('handshake with node 3 timed out: secret 0xabc'), { code: 'init_error', kind: 'Timeout' });
    }
    this.ready = true;
  }
  async disconnect(): Promise<void> {
    this.ready = false;
  }
  drop(): void {
    this.ready = false;
  }
}

function harness(client: FlakyClient, attempts: number, opts: { remainingMs?: number } = {}) {
  let clock = 0;
  const sleeps: number[] = [];
  const failures: Array<{ attempt: number; errorCode?: string; errorKind?: string }> = [];
  let creates = 0;
  const conn = new LitConnection<FlakyClient>({
    create: async () => {
      creates++;
      return client;
    },
    attempts,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    minAttemptMs: 500,
    random: () => 0.999,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    onAttemptFailed: (i) => failures.push(i),
  });
  const deadline = opts.remainingMs ?? 60_000;
  return { conn, sleeps, failures, creates: () => creates, deadline };
}

describe('LitConnection', () => {
  it('retries with exponential backoff (full jitter, capped) until connect succeeds', async () => {
    const client = new FlakyClient(4);
    const h = harness(client, 6);
    await expect(h.conn.get(h.deadline)).resolves.toBe(client);
    expect(client.connects).toBe(5);
    expect(h.sleeps).toEqual([99, 199, 399, 799]);
    expect(h.failures.map((f) => f.attempt)).toEqual([1, 2, 3, 4]);
    expect(h.failures[0]).toMatchObject({ errorCode: 'init_error', errorKind: 'Timeout' });
    expect(h.creates()).toBe(1);
    expect(h.conn.state()).toBe('ready');
  });

  it('caps the backoff at maxDelayMs', () => {
    const h = harness(new FlakyClient(0), 3);
    expect(h.conn.backoffMs(10)).toBe(999);
  });

  it('gives up after `attempts` with LIT_UNAVAILABLE and safe details only', async () => {
    const client = new FlakyClient(10);
    const h = harness(client, 3);
    const err = await h.conn.get(h.deadline).catch((e) => e);
    expect(err).toMatchObject({ code: 'LIT_UNAVAILABLE', status: 503, details: { attempts: 3, errorCode: 'init_error', errorKind: 'Timeout' } });
    expect(err.message).not.toContain('0xabc');
    expect(client.connects).toBe(3);
  });

  it('does not start an attempt that would not fit in the time budget', async () => {
    const client = new FlakyClient(10);
    const h = harness(client, 10, { remainingMs: 1100 });
    const err = await h.conn.get(h.deadline).catch((e) => e);
    expect(err.code).toBe('LIT_UNAVAILABLE');
    // Attempts start at t=0, 99, 298; a 4th would start at 697 and need 500 ms: 1197 > 1100.
    expect(client.connects).toBe(3);
  });

  it('a failed environment is not poisoned: the next invocation connects again', async () => {
    const client = new FlakyClient(2);
    const h = harness(client, 2);
    await expect(h.conn.get(h.deadline)).rejects.toMatchObject({ code: 'LIT_UNAVAILABLE' });
    expect(h.conn.state()).toBe('disconnected');
    await expect(h.conn.get(h.deadline)).resolves.toBe(client);
    expect(h.creates()).toBe(1);
  });

  it('a dropped client (ready false) reconnects on the next invocation; a ready one is reused without connecting', async () => {
    const client = new FlakyClient(0);
    const h = harness(client, 3);
    await h.conn.get(h.deadline);
    await h.conn.get(h.deadline);
    expect(client.connects).toBe(1);
    client.drop();
    expect(h.conn.state()).toBe('disconnected');
    await h.conn.get(h.deadline);
    expect(client.connects).toBe(2);
    expect(h.creates()).toBe(1);
  });

  it('concurrent callers share one connection attempt', async () => {
    const client = new FlakyClient(1);
    const h = harness(client, 3);
    const [a, b] = await Promise.all([h.conn.get(h.deadline), h.conn.get(h.deadline)]);
    expect(a).toBe(b);
    expect(client.connects).toBe(2);
  });

  it('a failing create() is retried and reported as not loaded until it succeeds', async () => {
    let calls = 0;
    const client = new FlakyClient(0);
    const conn = new LitConnection<FlakyClient>({
      create: async () => {
        if (++calls === 1) throw new Error('module load failed');
        return client;
      },
      attempts: 1,
      sleep: async () => undefined,
    });
    expect(conn.state()).toBe('not-loaded');
    await expect(conn.get()).rejects.toMatchObject({ code: 'LIT_UNAVAILABLE' });
    expect(conn.state()).toBe('not-loaded');
    await expect(conn.get()).resolves.toBe(client);
  });
});
