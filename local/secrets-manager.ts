/**
 * A loopback Secrets Manager that answers `GetSecretValue` over the AWS JSON 1.1 protocol, so the
 * real AWS SDK client and Powertools' SecretsProvider run unchanged (through
 * AWS_ENDPOINT_URL_SECRETS_MANAGER). No npm package emulates Secrets Manager over HTTP; this is
 * the one operation the service uses. Counts reads so a test can see Powertools' cache working,
 * and injects the failures the real service can produce (`setFault`), which a healthy local
 * part never would.
 *
 * Secret values appear only in GetSecretValue answers: never in an error body or a log line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

/**
 * - 'unavailable': 503 ServiceUnavailableException, as during a regional outage.
 * - 'throttled': 400 ThrottlingException, as when the account's request rate is exceeded.
 * - 'refuse-connections': nothing listens on the port (ECONNREFUSED) until cleared.
 * - 'stall': requests are read and never answered (a hung service) until cleared; then they end.
 * - null: healthy.
 */
export type SecretsManagerFault = 'unavailable' | 'throttled' | 'refuse-connections' | 'stall' | null;

export interface SecretsManagerStandInOptions {
  /** Port on 127.0.0.1. 0 or absent: ephemeral (kept while 'refuse-connections' is on and off). */
  port?: number;
}

export interface SecretsManagerStandIn {
  /** `http://127.0.0.1:<port>`: what AWS_ENDPOINT_URL_SECRETS_MANAGER is set to. */
  endpoint: string;
  port: number;
  /** Successful GetSecretValue answers so far. */
  reads: () => number;
  set(name: string, value: string): void;
  /** Injects a fault (null clears it). Resolves once the listener is closed or listening again. */
  setFault(fault: SecretsManagerFault): Promise<void>;
  fault(): SecretsManagerFault;
  /** Closes the listener and every open connection. Idempotent. */
  stop(): Promise<void>;
}

const JSON_1_1 = 'application/x-amz-json-1.1';
const SUPPORTED_TARGET = 'secretsmanager.GetSecretValue';

export async function startSecretsManagerStandIn(secrets: Record<string, string>, options: SecretsManagerStandInOptions = {}): Promise<SecretsManagerStandIn> {
  const values = new Map(Object.entries(secrets));
  let reads = 0;
  let fault: SecretsManagerFault = null;
  /** Responses held by 'stall'. */
  const stalled = new Set<http.ServerResponse>();
  let listening = false;
  let stopped = false;

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        // `connection: close`: clients never pool a socket here, so once the listener is closed
        // every request meets ECONNREFUSED (a pooled socket would fail as "socket hang up").
        res.writeHead(status, { 'content-type': JSON_1_1, 'x-amzn-requestid': randomUUID(), connection: 'close' });
        res.end(JSON.stringify(body));
      };
      // Error bodies in the AWS JSON shape: `__type` is what the SDK turns into the error's name.
      const error = (status: number, type: string, message: string) => reply(status, { __type: type, message });

      if (fault === 'stall') return void stalled.add(res);
      if (fault === 'unavailable') return error(503, 'ServiceUnavailableException', 'Service is unavailable (injected by the local stand-in).');
      if (fault === 'throttled') return error(400, 'ThrottlingException', 'Rate exceeded');
      if (req.headers['x-amz-target'] !== SUPPORTED_TARGET) {
        return error(400, 'UnknownOperationException', `Only ${SUPPORTED_TARGET} is supported by the local stand-in.`);
      }
      let secretId: unknown;
      try {
        secretId = (JSON.parse(raw || '{}') as { SecretId?: unknown }).SecretId;
      } catch {
        return error(400, 'SerializationException', 'The request body is not valid JSON.');
      }
      const value = typeof secretId === 'string' ? values.get(secretId) : undefined;
      if (value === undefined) return error(400, 'ResourceNotFoundException', 'Secrets Manager can’t find the specified secret.');
      reads++;
      reply(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId as string}-AbCdEf`,
        Name: secretId,
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      });
    });
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      server.once('error', onError);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', onError);
        listening = true;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      // Connections still open (a request in flight) end too: a refused service refuses everything.
      server.closeAllConnections();
    });

  await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;

  // Fault changes run one at a time, in call order.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = (work: () => Promise<void>): Promise<void> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    reads: () => reads,
    set: (name, value) => values.set(name, value),
    fault: () => fault,
    setFault: (next) => {
      // The HTTP faults take effect at once, so callers that do not await still get them.
      fault = next;
      if (next !== 'stall') {
        // The held requests end as a dropped connection would: the client has long given up on them.
        for (const res of stalled) res.destroy();
        stalled.clear();
      }
      return serial(async () => {
        if (stopped) return;
        if (fault === 'refuse-connections') await close();
        else if (!listening) await listen(port);
      });
    },
    stop: () =>
      serial(async () => {
        stopped = true;
        await close();
      }),
  };
}
