/**
 * Section 1: how long the devnet takes to become usable, and to go away. Three starts each of the
 * whole devnet (chain + nodes) and of the chain alone; after every stop, every port it used must
 * refuse connections. The SDK connect time shows what a test or `npm start` waits for on top.
 */
import type { Devnet } from '../devnet';
import { portOf, stillListening } from './ports';
import type { SectionResult } from './section';
import { fmtMs, max, median, summarize, timed } from './stats';

const STARTS = 3;
const ID = 'devnet-start';
const TITLE = 'Devnet start / stop';

interface StartSample {
  startMs: number;
  connectMs?: number;
  stopMs: number;
  ports: number[];
  leftOpen: number[];
}

function devnetPorts(d: Devnet): number[] {
  return [...new Set([portOf(d.chain.rpcUrl), portOf(d.blockhashUrl), ...d.nodes.map((n) => n.port)])];
}

export async function runDevnetStart(): Promise<SectionResult> {
  const { startDevnet, createLitNodeClient } = await import('../devnet');
  const { startChain } = await import('../devnet/chain');

  const devnetSamples: StartSample[] = [];
  for (let i = 0; i < STARTS; i++) {
    const started = await timed(() => startDevnet());
    const devnet = started.value;
    let connectMs: number | undefined;
    try {
      // What a user of the devnet waits for next: the real SDK's handshake with every node.
      const client = createLitNodeClient(devnet);
      connectMs = (await timed(() => client.connect())).ms;
      await client.disconnect();
    } catch (e) {
      await devnet.stop();
      throw e;
    }
    const ports = devnetPorts(devnet);
    const stopped = await timed(() => devnet.stop());
    devnetSamples.push({ startMs: started.ms, connectMs, stopMs: stopped.ms, ports, leftOpen: await stillListening(ports) });
  }

  const chainSamples: StartSample[] = [];
  for (let i = 0; i < STARTS; i++) {
    const started = await timed(() => startChain());
    const ports = [portOf(started.value.rpcUrl)];
    const stopped = await timed(() => started.value.stop());
    chainSamples.push({ startMs: started.ms, stopMs: stopped.ms, ports, leftOpen: await stillListening(ports) });
  }

  const row = (name: string, s: StartSample[]): string[] => {
    const start = s.map((x) => x.startMs);
    const stop = s.map((x) => x.stopMs);
    const connect = s.flatMap((x) => (x.connectMs === undefined ? [] : [x.connectMs]));
    const leftOpen = s.flatMap((x) => x.leftOpen);
    return [
      name,
      String(s.length),
      fmtMs(median(start)),
      fmtMs(max(start)),
      connect.length ? fmtMs(median(connect)) : '-',
      fmtMs(median(stop)),
      `${s[0]?.ports.length ?? 0}`,
      leftOpen.length === 0 ? 'none' : `LEFT OPEN: ${leftOpen.join(',')}`,
    ];
  };

  const leaks = [...devnetSamples, ...chainSamples].flatMap((s) => s.leftOpen);
  const ratio = median(devnetSamples.map((s) => s.startMs)) / median(chainSamples.map((s) => s.startMs));
  return {
    id: ID,
    title: TITLE,
    tables: [
      {
        columns: ['what', 'runs', 'start median', 'start max', 'SDK connect median', 'stop median', 'ports', 'ports open after stop'],
        rows: [row('startDevnet (chain + 3 nodes, threshold 2)', devnetSamples), row('startChain (anvil + contracts + key pool)', chainSamples)],
      },
    ],
    notes: [
      `The chain is ${fmtMs(median(chainSamples.map((s) => s.startMs)))} of the devnet's ${fmtMs(median(devnetSamples.map((s) => s.startMs)))} (devnet/chain ${ratio.toFixed(2)}x).`,
      'Each row runs in one process: the first start also pays module loading and JIT warm-up, which shows in the max.',
      leaks.length === 0 ? 'Every port was released after stop().' : `PORTS LEFT LISTENING after stop(): ${leaks.join(', ')}`,
    ],
    data: {
      devnet: {
        start: summarize(devnetSamples.map((s) => s.startMs)),
        connect: summarize(devnetSamples.flatMap((s) => (s.connectMs === undefined ? [] : [s.connectMs]))),
        stop: summarize(devnetSamples.map((s) => s.stopMs)),
        portsLeftOpen: devnetSamples.flatMap((s) => s.leftOpen),
      },
      chain: {
        start: summarize(chainSamples.map((s) => s.startMs)),
        stop: summarize(chainSamples.map((s) => s.stopMs)),
        portsLeftOpen: chainSamples.flatMap((s) => s.leftOpen),
      },
    },
  };
}
