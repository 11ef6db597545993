/** GET /health?deep=true sends a request to every Lit node: only an admin caller may ask for it. */
import { parseServiceConfig, RUNTIME_CONFIG_ENV, toRuntimeConfig } from '../../functions/commons/config';

const ADMIN = 'arn:aws:iam::123456789012:role/ops-admin';
const APP = 'arn:aws:iam::123456789012:role/app';

beforeAll(() => {
  const config = parseServiceConfig({
    lit: { network: 'datil-test' },
    ownerKeySecret: 'x',
    delegation: { capacityTokenId: '1' },
    policy: { callers: [{ principal: APP }, { principal: ADMIN, admin: true }] },
  });
  process.env[RUNTIME_CONFIG_ENV] = JSON.stringify(toRuntimeConfig(config));
  process.env.TABLE_NAME = 'unused';
});

function event(caller: string, deep: boolean): any {
  return {
    routeKey: 'GET /health',
    queryStringParameters: deep ? { deep: 'true' } : undefined,
    requestContext: { requestId: 'r', timeEpoch: Date.now(), authorizer: { iam: { userArn: caller } } },
  };
}

it('refuses a deep check to a caller that is not an admin, before touching the table or Lit', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler reads its environment at load: required after it is set
  const { handler } = require('../../functions/health');
  for (const caller of [APP, 'arn:aws:iam::123456789012:role/stranger']) {
    const res = await handler(event(caller, true), { awsRequestId: 'x', getRemainingTimeInMillis: () => 5_000 });
    expect(res.statusCode).toBe(403);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the same module instance the handler loaded
  const { isLitSdkLoaded } = require('../../functions/commons/adapters/lit/sdk');
  expect(isLitSdkLoaded()).toBe(false);
});
