/**
 * The offline guard the devnet and integration tests rely on to prove no request leaves loopback:
 * it must really fail on any other host, by every route the SDK and ethers could take, and let
 * loopback through.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { installOfflineGuard, type OfflineGuard } from './helpers/offline-guard';

/** Start a request and drop it at once, so that an unguarded call leaves nothing open. */
const attempt = (start: () => http.ClientRequest): void => {
  const req = start();
  req.on('error', () => undefined);
  req.destroy();
};

describe('offline guard', () => {
  let guard: OfflineGuard;
  let server: http.Server;
  let loopbackUrl: string;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    loopbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  beforeEach(() => {
    guard = installOfflineGuard();
  });

  afterEach(() => guard.restore());

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // 192.0.2.0/24 is TEST-NET-1: never routed, so even an unguarded attempt reaches nobody.
  it('fails fetch to a non-loopback host and records it', async () => {
    await expect(fetch('http://192.0.2.1/get_most_recent_valid_block')).rejects.toThrow(/offline guard/);
    expect(guard.blocked).toEqual(['http://192.0.2.1/get_most_recent_valid_block']);
  });

  it.each([
    ['http.request', () => http.request('http://192.0.2.1/')],
    ['http.request with options', () => http.request({ hostname: '192.0.2.1', port: 80, path: '/' })],
    ['https.request', () => https.request('https://192.0.2.1/')],
    ['http.get', () => http.get('http://192.0.2.1/')],
    ['https.get', () => https.get({ host: '192.0.2.1', path: '/' })],
  ])('fails %s to a non-loopback host', (_route, start) => {
    expect(() => attempt(start)).toThrow(/offline guard/);
    expect(guard.blocked).toHaveLength(1);
  });

  it('lets loopback through, by fetch and by http.get', async () => {
    expect(await (await fetch(loopbackUrl)).text()).toBe('ok');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http
        .get(loopbackUrl, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    expect(guard.blocked).toEqual([]);
  });

  it('restores the real functions', () => {
    guard.restore();
    const again = installOfflineGuard();
    again.restore();
    expect(() => attempt(() => http.get('http://192.0.2.1/'))).not.toThrow();
  });
});
