/**
 * The emulated Lambda runtime: the entry of each worker thread, one worker per function
 * environment. It installs the loopback guard (nothing leaves the machine), loads the function's
 * bundle (the init phase: the module's own code, synchronously, as Lambda's CommonJS init; work a
 * handler starts there goes on in the background and the first invocation does not wait for it,
 * as on Lambda), then runs invocations the host posts. It never sends an error's message back:
 * a thrown error is reported by class name only, as API Gateway shows a caller nothing of it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installOfflineGuard } from './loopback-guard';

export interface RuntimeData {
  functionName: string;
  bundle: string;
  memoryMb: number;
  timeoutMs: number;
}

export type HostMessage = { type: 'invoke'; id: number; event: unknown; requestId: string; deadlineMs: number };
export type RuntimeMessage =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; errorType: string }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; errorType: string }
  | { type: 'blocked'; target: string };

function errorType(e: unknown): string {
  return e instanceof Error ? e.name || 'Error' : typeof e;
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('lambda-runtime runs in a worker thread');
  const data = workerData as RuntimeData;
  const send = (m: RuntimeMessage) => port.postMessage(m);
  process.setSourceMapsEnabled(true);

  const guard = installOfflineGuard();
  const reported = new Set<string>();
  // Blocked attempts surface to the host (the stack logs them), once per target.
  setInterval(() => {
    for (const target of guard.blocked) {
      if (!reported.has(target)) {
        reported.add(target);
        send({ type: 'blocked', target });
      }
    }
  }, 500).unref();

  const started = Date.now();
  let handler: (event: unknown, context: unknown) => Promise<unknown>;
  (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle's path is known at run time only, as Lambda's own runtime loads it
    const mod = require(data.bundle) as { handler?: typeof handler };
    if (typeof mod.handler !== 'function') throw new TypeError(`${data.functionName}: the bundle exports no handler`);
    handler = mod.handler;
  })().then(
    () => send({ type: 'ready', initMs: Date.now() - started }),
    (e) => {
      // The class name only: the host logs it; the message may quote configuration.
      console.error(JSON.stringify({ level: 'ERROR', message: 'function init failed', function: data.functionName, errorType: errorType(e) }));
      send({ type: 'init-error', errorType: errorType(e) });
    },
  );

  port.on('message', (m: HostMessage) => {
    if (m.type !== 'invoke') return;
    const context = {
      awsRequestId: m.requestId,
      functionName: data.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${data.functionName}`,
      memoryLimitInMB: String(data.memoryMb),
      logGroupName: `/aws/lambda/${data.functionName}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, m.deadlineMs - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    Promise.resolve()
      .then(() => handler(m.event, context))
      .then(
        (result) => send({ type: 'result', id: m.id, result }),
        (e) => {
          console.error(
            JSON.stringify({ level: 'ERROR', message: 'invocation failed', function: data.functionName, requestId: m.requestId, errorType: errorType(e) }),
          );
          send({ type: 'error', id: m.id, errorType: errorType(e) });
        },
      );
  });
}

main();
