/**
 * Section 2: DynamoDB Local start (the test helper's launcher: Java on 127.0.0.1, ephemeral port).
 * "Ready" is the first answered request; the service table is created after that and timed apart.
 */
import { portOf, stillListening } from './ports';
import type { SectionResult } from './section';
import { fmtMs, max, median, summarize, timed } from './stats';

const STARTS = 3;

export async function runDynamoDbStart(): Promise<SectionResult> {
  const { startDynamoDbLocal } = await import('../local/dynamodb-local');
  const ready: number[] = [];
  const withTable: number[] = [];
  const stops: number[] = [];
  const leftOpen: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const started = await timed(() => startDynamoDbLocal());
    ready.push(started.value.startMs);
    withTable.push(started.ms);
    const port = portOf(started.value.endpoint);
    stops.push((await timed(() => started.value.stop())).ms);
    leftOpen.push(...(await stillListening([port])));
  }
  return {
    id: 'dynamodb-start',
    title: 'DynamoDB Local start / stop',
    tables: [
      {
        columns: ['what', 'runs', 'median', 'max'],
        rows: [
          ['spawn → first answered request', String(STARTS), fmtMs(median(ready)), fmtMs(max(ready))],
          ['… + service table created (TTL on)', String(STARTS), fmtMs(median(withTable)), fmtMs(max(withTable))],
          ['stop (process exited)', String(STARTS), fmtMs(median(stops)), fmtMs(max(stops))],
        ],
      },
    ],
    notes: [leftOpen.length === 0 ? 'Every port was released after stop().' : `PORTS LEFT LISTENING after stop(): ${leftOpen.join(', ')}`],
    data: { ready: summarize(ready), readyWithTable: summarize(withTable), stop: summarize(stops), portsLeftOpen: leftOpen },
  };
}
