/**
 * "Is anything still listening here?" for the stop checks: a TCP connect to 127.0.0.1 that is
 * refused means the port was released.
 */
import * as net from 'node:net';

export function isPortListening(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // accepted-but-silent still counts as taken
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The ports of `ports` that still accept connections. */
export async function stillListening(ports: readonly number[]): Promise<number[]> {
  const open = await Promise.all(ports.map(async (p) => ((await isPortListening(p)) ? p : undefined)));
  return open.filter((p): p is number => p !== undefined);
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}
