/**
 * The local Secrets Manager stand-in, read by the real AWS SDK client and by Powertools'
 * `getSecret` (through AWS_ENDPOINT_URL_SECRETS_MANAGER, as the functions read it). Each injected
 * fault surfaces as the real client reports that failure, clearing it restores service, and the
 * service's owner-key source turns every fault into OWNER_KEY_UNAVAILABLE (503, Retry-After)
 * without the secret in any message.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clearCaches } from '@aws-lambda-powertools/parameters';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as net from 'node:net';
import { createOwnerKeySource } from '../../functions/commons/adapters/secrets';
import { ServiceError } from '../../functions/commons/errors';
import { errorResponse } from '../../functions/commons/http';
import { startSecretsManagerStandIn, type SecretsManagerFault, type SecretsManagerStandIn } from '../../local/secrets-manager';
import { connects } from '../helpers/ports';

const SECRET_NAME = 'local/owner-key';
const PRIVATE_KEY = `0x${'4c'.repeat(32)}`;
const SECRET_VALUE = JSON.stringify({ privateKey: PRIVATE_KEY });

/** The real client, one attempt: the error it surfaces is the stand-in's answer, not a retry's. */
const directClient = (endpoint: string) =>
  new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

async function rejection(p: Promise<unknown>): Promise<Record<string, any>> {
  try {
    await p;
  } catch (e) {
    return e as Record<string, any>;
  }
  throw new Error('expected a rejection');
}

let sm: SecretsManagerStandIn;
let client: SecretsManagerClient;
const savedEnv = { ...process.env };

beforeAll(async () => {
  sm = await startSecretsManagerStandIn({ [SECRET_NAME]: SECRET_VALUE });
  client = directClient(sm.endpoint);
  // What the functions see: Powertools' default SecretsProvider builds its client from these.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_MAX_ATTEMPTS: '1',
  });
});
afterAll(async () => {
  process.env = savedEnv;
  client.destroy();
  await sm.stop();
});
afterEach(async () => {
  await sm.setFault(null);
  clearCaches();
});

test('the real client and Powertools getSecret read a secret through it; reads are counted', async () => {
  expect(sm.endpoint).toBe(`http://127.0.0.1:${sm.port}`);
  const before = sm.reads();
  const direct = await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));
  expect(direct.SecretString).toBe(SECRET_VALUE);
  expect(direct.Name).toBe(SECRET_NAME);

  expect(await getSecret(SECRET_NAME, { maxAge: 60 })).toBe(SECRET_VALUE);
  expect(await getSecret(SECRET_NAME, { maxAge: 60 })).toBe(SECRET_VALUE); // cached by Powertools
  expect(sm.reads()).toBe(before + 2);

  sm.set(SECRET_NAME, 'rotated');
  expect(await getSecret(SECRET_NAME, { forceFetch: true })).toBe('rotated');
  sm.set(SECRET_NAME, SECRET_VALUE);
});

test('a missing secret and an unsupported operation answer as Secrets Manager does, without echoing values', async () => {
  const missing = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'nope' })));
  expect(missing).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });

  const res = await fetch(sm.endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': 'secretsmanager.DescribeSecret', 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ SecretId: SECRET_NAME }),
  });
  expect(res.status).toBe(400);
  const body = await res.text();
  expect(JSON.parse(body).__type).toBe('UnknownOperationException');
  expect(body).not.toContain(PRIVATE_KEY);

  const garbled = await fetch(sm.endpoint, { method: 'POST', headers: { 'x-amz-target': 'secretsmanager.GetSecretValue' }, body: '{not json' });
  expect(garbled.status).toBe(400);
  expect((await garbled.json()).__type).toBe('SerializationException');
  // The stand-in survived the bad body.
  expect((await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }))).SecretString).toBe(SECRET_VALUE);
});

describe.each<{ fault: Exclude<SecretsManagerFault, null>; expected: Record<string, unknown> }>([
  { fault: 'unavailable', expected: { name: 'ServiceUnavailableException', $metadata: expect.objectContaining({ httpStatusCode: 503 }) } },
  { fault: 'throttled', expected: { name: 'ThrottlingException', $metadata: expect.objectContaining({ httpStatusCode: 400 }) } },
  // Outside jest the SDK rethrows Node's error (code 'ECONNREFUSED'); under jest that error comes
  // from another realm (not `instanceof Error` here), so the SDK wraps it and keeps only the text.
  { fault: 'refuse-connections', expected: { message: expect.stringContaining('ECONNREFUSED') } },
])('fault $fault', ({ fault, expected }) => {
  test('the real client and getSecret surface it; clearing it restores service', async () => {
    // A keep-alive socket from an earlier read must not slip past a refused listener.
    await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }));
    await sm.setFault(fault);
    expect(sm.fault()).toBe(fault);

    const direct = await rejection(client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME })));
    expect(direct).toMatchObject(expected);
    expect(JSON.stringify(direct)).not.toContain(PRIVATE_KEY);
    expect(String(direct.message)).not.toContain(PRIVATE_KEY);

    const viaPowertools = await rejection(getSecret(SECRET_NAME, { forceFetch: true }));
    // Powertools wraps the SDK error; the SDK's error is its cause.
    const sdkError = (viaPowertools.cause ?? viaPowertools) as Record<string, unknown>;
    expect(sdkError).toMatchObject(expected);

    if (fault === 'refuse-connections') expect(await connects(sm.port)).toBe(false);

    await sm.setFault(null);
    expect(await connects(sm.port)).toBe(true);
    expect((await client.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }))).SecretString).toBe(SECRET_VALUE);
    expect(await getSecret(SECRET_NAME, { forceFetch: true })).toBe(SECRET_VALUE);
  });

  test('the service answers 503 OWNER_KEY_UNAVAILABLE with Retry-After, naming neither the key nor the secret', async () => {
    const ownerKey = createOwnerKeySource({ secretName: SECRET_NAME, maxAgeSeconds: 0 });
    expect((await ownerKey()).address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    clearCaches();

    await sm.setFault(fault);
    const failure = await rejection(ownerKey());
    expect(failure).toBeInstanceOf(ServiceError);
    expect(failure).toMatchObject({ code: 'OWNER_KEY_UNAVAILABLE', status: 503, retryable: true });
    const { response } = errorResponse(failure, 'req-1');
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('30');
    expect(JSON.parse(response.body as string).error.code).toBe('OWNER_KEY_UNAVAILABLE');
    expect(response.body).not.toContain(PRIVATE_KEY);
    expect(response.body).not.toContain(SECRET_NAME);

    await sm.setFault(null);
    clearCaches();
    expect((await ownerKey()).address).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });
});

test('a fixed port is honoured, kept through refuse-connections, and freed at stop', async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const fixed = await startSecretsManagerStandIn({ [SECRET_NAME]: SECRET_VALUE }, { port });
  try {
    expect(fixed.port).toBe(port);
    expect(fixed.endpoint).toBe(`http://127.0.0.1:${port}`);
    await fixed.setFault('refuse-connections');
    expect(await connects(port)).toBe(false);
    await fixed.setFault(null);
    const c = directClient(`http://127.0.0.1:${port}`);
    expect((await c.send(new GetSecretValueCommand({ SecretId: SECRET_NAME }))).SecretString).toBe(SECRET_VALUE);
    c.destroy();
  } finally {
    await fixed.stop();
  }
  expect(await connects(port)).toBe(false);
  await fixed.stop(); // idempotent
  await fixed.setFault(null); // no re-listen after stop
  expect(await connects(port)).toBe(false);
});
