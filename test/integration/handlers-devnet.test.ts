/**
 * The deployed handler files, unchanged, against real parts: DynamoDB Local, a loopback Secrets
 * Manager (the real AWS SDK client + Powertools), and the devnet with the real Lit SDK. Offline:
 * any non-loopback request fails the test. One environment for the file, as one Lambda
 * execution environment per function would see it.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { listAuditDay } from '../../functions/commons/adapters/dynamodb';
import { ethers } from 'ethers';
import { startDevnet, createLitNodeClient, disconnectLitNodeClient, type Devnet } from '../../devnet';
import { installOfflineGuard, type OfflineGuard } from '../devnet/helpers/offline-guard';
import {
  ethWalletAuthMethod,
  litContractsFor,
  mintCapacityToken,
  mintPkp,
  pkpSigningRequests,
  transferPkp,
  type MintedPkp,
} from '../devnet/helpers/lit-fixtures';
import { bindScopeStorage, ScopeStorage } from '../../functions/commons/session-storage';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';
import { startSecretsManagerStandIn, type SecretsManagerStandIn } from '../../local/secrets-manager';
import type { ApiEvent } from '../../functions/commons/http';

jest.setTimeout(180_000);

const ADMIN = 'arn:aws:iam::123456789012:role/ops-admin';
const APP = 'arn:aws:sts::123456789012:assumed-role/app-backend/i-0abc';
const STRANGER = 'arn:aws:iam::123456789012:user/mallory';
const SECRET_NAME = 'lit-session-service/owner-key';

type Handler = (
  event: ApiEvent,
  context: { awsRequestId: string; getRemainingTimeInMillis: () => number },
) => Promise<{ statusCode?: number; headers?: Record<string, unknown>; body?: string }>;

/**
 * Every line written to stdout/stderr or through console.* while the handlers run (Powertools'
 * logger writes to process.stdout directly; the SDK uses console). Kept, not echoed.
 */
function captureLogs(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => console[m]);
  const grab = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  methods.forEach((m) => (console[m] = (...args: unknown[]) => void chunks.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))));
  return {
    text: () => chunks.join('\n'),
    restore: () => {
      process.stdout.write = out;
      process.stderr.write = err;
      methods.forEach((m, i) => (console[m] = saved[i]));
    },
  };
}

let n = 0;
function event(method: 'GET' | 'POST', path: string, caller: string | undefined, body?: unknown, query?: Record<string, string>): ApiEvent {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    queryStringParameters: query,
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    body: body === undefined ? undefined : JSON.stringify(body),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: `req-${++n}`,
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
      authorizer: caller === undefined ? (undefined as never) : ({ iam: { userArn: caller } } as never),
    },
  } as ApiEvent;
}
const ctx = () => ({ awsRequestId: `lambda-${n}`, getRemainingTimeInMillis: () => 29_000 });
const responses: unknown[] = [];
async function call(h: Handler, e: ApiEvent) {
  const res = await h(e, ctx());
  const body = JSON.parse(res.body ?? 'null');
  responses.push(body);
  return { status: res.statusCode, headers: res.headers ?? {}, body };
}

describe('handlers against DynamoDB Local, a Secrets Manager stand-in and the devnet', () => {
  let guard: OfflineGuard;
  let devnet: Devnet;
  let ddb: DynamoDbLocal;
  let sm: SecretsManagerStandIn;
  let owner: ethers.Wallet;
  let pkp: MintedPkp;
  /** A second PKP in the policy, also owned and permitted: for the cross-PKP isolation tests. */
  let pkpB: MintedPkp;
  let otherPkp: MintedPkp;
  /** In the policy, but the owner is not permitted on it: the nodes refuse to sign its session key. */
  let lockedPkp: MintedPkp;
  let capacityTokenId: string;
  const savedEnv = { ...process.env };
  let h: Record<'issue' | 'getDelegation' | 'refresh' | 'listPkps' | 'mintPkp' | 'health', Handler>;
  let scheduled: (event: unknown) => Promise<{ outcome: string; version?: number }>;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    guard = installOfflineGuard();
    [devnet, ddb] = await Promise.all([startDevnet({ blockTimeMs: 1000 }), startDynamoDbLocal()]);
    owner = new ethers.Wallet(devnet.ownerWallet.privateKey);
    const contracts = litContractsFor(devnet, devnet.ownerWallet.privateKey);
    await contracts.connect();
    pkp = await mintPkp(contracts, [owner.address]);
    pkpB = await mintPkp(contracts, [owner.address]);
    otherPkp = await mintPkp(contracts, [owner.address]);
    // Neither held nor permitted: on Lit the NFT's owner always passes, so the owner wallet gives it away.
    lockedPkp = await mintPkp(contracts, []);
    await transferPkp(contracts, lockedPkp.tokenId, ethers.Wallet.createRandom().address);
    capacityTokenId = await mintCapacityToken(contracts);
    sm = await startSecretsManagerStandIn({ [SECRET_NAME]: JSON.stringify({ privateKey: devnet.ownerWallet.privateKey }) });

    const addresses = Object.fromEntries(Object.entries(devnet.contractsContext.customContext).map(([k, v]) => [k, v.address]));
    const serviceConfig = {
      lit: {
        network: 'custom',
        custom: { rpcUrl: devnet.contractsContext.rpc, contracts: addresses, blockhashUrl: devnet.blockhashUrl },
        connectTimeoutMs: 10_000,
        connectAttempts: 3,
      },
      delegation: { capacityTokenId, validitySeconds: 3600, refreshMarginSeconds: 600, uses: '1000', delegatees: 'policy-pkps', schedule: 'rate(1 hour)' },
      session: { defaultExpirationSeconds: 600 },
      policy: {
        callers: [
          { principal: ADMIN, pkps: [], abilities: [], admin: true },
          {
            principal: 'arn:aws:sts::123456789012:assumed-role/app-backend/*',
            pkps: [pkp.publicKey, pkpB.publicKey, lockedPkp.publicKey],
            abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
            allowWildcardResources: true,
            rateLimitPerMinute: 100,
          },
        ],
      },
      maxBodyBytes: 16_384,
      auditRetentionDays: 7,
    };
    Object.assign(process.env, {
      SERVICE_CONFIG: JSON.stringify(serviceConfig),
      TABLE_NAME: ddb.tableName,
      OWNER_KEY_SECRET: SECRET_NAME,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_METRICS_DISABLED: 'true',
      // DEBUG, so the log-secrecy test below sees everything the functions could log.
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    logs = captureLogs();
    // Imported only now: like Lambda, each handler module reads its environment at load.
    /* eslint-disable @typescript-eslint/no-require-imports -- handler modules read their environment at load: required after it is set, as Lambda loads them */
    h = {
      issue: require('../../functions/issue-session-sigs').handler,
      getDelegation: require('../../functions/get-delegation').handler,
      refresh: require('../../functions/refresh-delegation').handler,
      listPkps: require('../../functions/list-pkps').handler,
      mintPkp: require('../../functions/mint-pkp').handler,
      health: require('../../functions/health').handler,
    };
    scheduled = require('../../functions/scheduled-refresh').handler;
    /* eslint-enable @typescript-eslint/no-require-imports */
  });

  afterAll(async () => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- handler modules read their environment at load: required after it is set, as Lambda loads them
      const { litAdapters } = require('../../functions/commons/lit-composition');
      await (await litAdapters()).connection.close();
    } finally {
      await Promise.allSettled([devnet?.stop(), ddb?.stop(), sm?.stop()]);
      guard?.restore();
      logs?.restore();
      process.env = savedEnv;
    }
  });

  it('issue before any delegation exists: 503 NO_VALID_DELEGATION with Retry-After', async () => {
    const r = await call(
      h.issue,
      event('POST', '/session-sigs', APP, {
        pkpPublicKey: pkp.publicKey,
        resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }],
      }),
    );
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('NO_VALID_DELEGATION');
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('the scheduled refresher creates the delegation (delegatees = policy PKPs, capacity expiry from the chain); a second run leaves it', async () => {
    await expect(scheduled({})).resolves.toMatchObject({ outcome: 'refreshed', version: 1 });
    await expect(scheduled({})).resolves.toMatchObject({ outcome: 'still-valid', version: 1 });
    const r = await call(h.getDelegation, event('GET', '/delegation', APP));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      version: 1,
      capacityTokenId,
      delegatees: [pkp.ethAddress, pkpB.ethAddress, lockedPkp.ethAddress].map((a) => ethers.utils.getAddress(a)).sort(),
      uses: '1000',
      ownerAddress: owner.address,
      valid: true,
    });
    expect(Date.parse(r.body.capacityExpiresAt)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(r.body)).not.toMatch(/"sig"|signedMessage/);
  });

  it('issues session sigs: first through the nodes, then from the cached wallet sig; the nodes accept them for pkpSign', async () => {
    const body = { pkpPublicKey: pkp.publicKey, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: pkp.tokenId }, ability: 'pkp-signing' }] };
    const rounds = () => devnet.controls.totalCounts().sign_session_key;
    const before = rounds();
    const first = await call(h.issue, event('POST', '/session-sigs', APP, body));
    expect(first.status).toBe(200);
    expect(first.body.walletSigSource).toBe('nodes');
    expect(rounds()).toBeGreaterThan(before);
    const afterFirst = rounds();
    const second = await call(h.issue, event('POST', '/session-sigs', APP, body));
    expect(second.status).toBe(200);
    expect(second.body.walletSigSource).toBe('cache');
    expect(rounds()).toBe(afterFirst);
    expect(Object.keys(second.body.sessionSigs).sort()).toEqual(devnet.nodes.map((x) => x.url).sort());

    // The session sigs work: a separate client (no storage) signs with the PKP through them.
    const client = createLitNodeClient(devnet);
    await client.connect();
    try {
      const digest = ethers.utils.arrayify(ethers.utils.keccak256(ethers.utils.toUtf8Bytes('hello from the service')));
      const sig = await client.pkpSign({ pubKey: pkp.publicKey, toSign: digest, sessionSigs: second.body.sessionSigs });
      expect(ethers.utils.recoverAddress(digest, sig.signature)).toBe(ethers.utils.getAddress(pkp.ethAddress));
    } finally {
      await disconnectLitNodeClient(client);
    }
  });

  /** The PKP address of the wallet sig (the LIT_BLS capability) each session sig was built on. */
  function walletSigPkpAddresses(sessionSigs: Record<string, { signedMessage: string }>): Set<string> {
    return new Set(
      Object.values(sessionSigs).map((s) => {
        const cap = JSON.parse(s.signedMessage).capabilities.find((c: { algo?: string }) => c.algo === 'LIT_BLS');
        return ethers.utils.getAddress(cap.address);
      }),
    );
  }

  it("control: the SDK itself, given one shared storage, builds PKP B's session sigs on PKP A's wallet sig", async () => {
    // Why the service scopes storage: this is the SDK's behaviour with a single localStorage.
    const client = createLitNodeClient(devnet);
    await client.connect();
    try {
      const shared = new ScopeStorage(new Map());
      const authMethod = await ethWalletAuthMethod(client, owner);
      const expiration = new Date(Date.now() + 600_000).toISOString();
      const sigsFor = (p: MintedPkp) =>
        bindScopeStorage(shared, () =>
          client.getPkpSessionSigs({ pkpPublicKey: p.publicKey, authMethods: [authMethod], resourceAbilityRequests: pkpSigningRequests(), expiration }),
        );
      expect(walletSigPkpAddresses(await sigsFor(pkp))).toEqual(new Set([ethers.utils.getAddress(pkp.ethAddress)]));
      expect(walletSigPkpAddresses(await sigsFor(pkpB))).toEqual(new Set([ethers.utils.getAddress(pkp.ethAddress)]));
    } finally {
      await disconnectLitNodeClient(client);
    }
  });

  it("two PKPs issued alternately, in sequence and concurrently, never get each other's wallet sig", async () => {
    const issueFor = (p: MintedPkp) =>
      call(
        h.issue,
        event('POST', '/session-sigs', APP, {
          pkpPublicKey: p.publicKey,
          resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }],
        }),
      );
    const expectBuiltOn = (p: MintedPkp, r: { status?: number; body: { sessionSigs: Record<string, { signedMessage: string }> } }) => {
      expect(r.status).toBe(200);
      expect(walletSigPkpAddresses(r.body.sessionSigs)).toEqual(new Set([ethers.utils.getAddress(p.ethAddress)]));
    };
    const sources: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (const p of [pkp, pkpB]) {
        const r = await issueFor(p);
        expectBuiltOn(p, r);
        sources.push(r.body.walletSigSource);
      }
    }
    // Each scope keeps its own wallet sig: after B's first round both are served from cache.
    expect(sources.slice(2)).toEqual(['cache', 'cache', 'cache', 'cache']);

    const order = [pkp, pkpB, pkpB, pkp, pkp, pkpB];
    const concurrent = await Promise.all(order.map(issueFor));
    concurrent.forEach((r, i) => expectBuiltOn(order[i], r));

    // And B's sigs are usable for B on the nodes.
    const client = createLitNodeClient(devnet);
    await client.connect();
    try {
      const digest = ethers.utils.arrayify(ethers.utils.keccak256(ethers.utils.toUtf8Bytes('isolation')));
      const sig = await client.pkpSign({ pubKey: pkpB.publicKey, toSign: digest, sessionSigs: concurrent[1].body.sessionSigs });
      expect(ethers.utils.recoverAddress(digest, sig.signature)).toBe(ethers.utils.getAddress(pkpB.ethAddress));
    } finally {
      await disconnectLitNodeClient(client);
    }
  });

  it('refuses by policy before reaching Lit: stranger 403, unlisted PKP 403, missing caller 401, bad body 400', async () => {
    const rar = [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }];
    const rounds = devnet.controls.totalCounts().sign_session_key;
    expect((await call(h.issue, event('POST', '/session-sigs', STRANGER, { pkpPublicKey: pkp.publicKey, resourceAbilityRequests: rar }))).body.error.code).toBe(
      'CALLER_NOT_ALLOWED',
    );
    expect((await call(h.issue, event('POST', '/session-sigs', APP, { pkpPublicKey: otherPkp.publicKey, resourceAbilityRequests: rar }))).body.error.code).toBe(
      'PKP_NOT_ALLOWED',
    );
    expect((await call(h.issue, event('POST', '/session-sigs', undefined, { pkpPublicKey: pkp.publicKey, resourceAbilityRequests: rar }))).status).toBe(401);
    const bad = await call(h.issue, event('POST', '/session-sigs', APP, { pkpPublicKey: pkp.publicKey }));
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', details: { field: 'resourceAbilityRequests' } } } });
    expect(devnet.controls.totalCounts().sign_session_key).toBe(rounds);
  });

  it('a node refusal becomes 502 LIT_NODE_ERROR with the node error code and no node text', async () => {
    const r = await call(
      h.issue,
      event('POST', '/session-sigs', APP, {
        pkpPublicKey: lockedPkp.publicKey,
        resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }],
      }),
    );
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'LIT_NODE_ERROR', details: { errorCode: 'NodeAuthSigScopeTooLimited', errorKind: 'Validation' } });
    expect(JSON.stringify(r.body)).not.toMatch(/permitted|0x[0-9a-f]{40}/i);
  });

  it('audits every attempt in the table: issued, refused and failed, without sigs', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const records = await listAuditDay({ client: ddb.client, tableName: ddb.tableName }, day);
    const outcomes = records.map((r) => `${r.outcome?.S}:${r.errorCode?.S ?? r.walletSigSource?.S}`);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        'failed:NO_VALID_DELEGATION',
        'issued:nodes',
        'issued:cache',
        'refused:CALLER_NOT_ALLOWED',
        'refused:PKP_NOT_ALLOWED',
        'refused:INVALID_REQUEST',
        'failed:LIT_NODE_ERROR',
      ]),
    );
    expect(JSON.stringify(records)).not.toMatch(/"sig"|signedMessage|secretKey/);
  });

  it('admin routes: refresh (forced) bumps the version; list and mint PKPs; non-admins get 403', async () => {
    expect((await call(h.refresh, event('POST', '/delegation/refresh', APP))).body.error.code).toBe('ADMIN_REQUIRED');
    const refreshed = await call(h.refresh, event('POST', '/delegation/refresh', ADMIN));
    expect(refreshed).toMatchObject({ status: 200, body: { outcome: 'refreshed', delegation: { version: 2 } } });
    const notForced = await call(h.refresh, event('POST', '/delegation/refresh', ADMIN, { force: false }));
    expect(notForced.body).toMatchObject({ outcome: 'still-valid', delegation: { version: 2 } });

    const listed = await call(h.listPkps, event('GET', '/pkps', ADMIN));
    expect(listed.status).toBe(200);
    const byKey = new Map(listed.body.pkps.map((p: { publicKey: string; inPolicy: boolean }) => [p.publicKey, p.inPolicy]));
    expect(byKey.get(pkp.publicKey.toLowerCase())).toBe(true);
    expect(byKey.get(otherPkp.publicKey.toLowerCase())).toBe(false);

    const minted = await call(h.mintPkp, event('POST', '/pkps', ADMIN));
    expect(minted.status).toBe(201);
    expect(minted.body.pkp.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
    const again = await call(h.listPkps, event('GET', '/pkps', ADMIN));
    expect(again.body.pkps.map((p: { publicKey: string }) => p.publicKey)).toContain(minted.body.pkp.publicKey);
    expect((await call(h.mintPkp, event('POST', '/pkps', APP))).status).toBe(403);
  });

  it('health: ready, with delegation, capacity and the nodes the refresher recorded; ?deep=true handshakes with them again now', async () => {
    const r = await call(h.health, event('GET', '/health', undefined));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', checks: { delegation: { ok: true }, capacity: { ok: true } } });
    expect(r.body.checks.lit).toMatchObject({ ok: true, answered: devnet.nodes.length, issues: 'any-scope' });
    const handshakes = devnet.controls.totalCounts().handshake;
    // The plain check reuses its recent answer: no node request.
    expect((await call(h.health, event('GET', '/health', undefined))).body.checks.lit).toEqual(r.body.checks.lit);
    expect(devnet.controls.totalCounts().handshake).toBe(handshakes);
    // A deep check is for admins only (it sends a request to every node).
    expect((await call(h.health, event('GET', '/health', APP, undefined, { deep: 'true' }))).status).toBe(403);
    const deep = await call(h.health, event('GET', '/health', ADMIN, undefined, { deep: 'true' }));
    expect(deep.status).toBe(200);
    expect(deep.body.checks.lit).toEqual({
      ok: true,
      answered: devnet.nodes.length,
      nodes: devnet.nodes.length,
      threshold: devnet.threshold,
      issues: 'any-scope',
      checkedAt: expect.any(String),
    });
    expect(devnet.controls.totalCounts().handshake - handshakes).toBe(devnet.nodes.length);
  });

  it('no owner key, session secret key, wallet sig, delegation sig or issued session sig appears in any log line', async () => {
    const secrets: string[] = [devnet.ownerWallet.privateKey.replace(/^0x/, '')];
    const items = (await ddb.client.send(new ScanCommand({ TableName: ddb.tableName }))).Items ?? [];
    for (const item of items) {
      const entries = item.entries?.M ?? {};
      const sessionKey = entries['lit-session-key']?.S;
      const walletSig = entries['lit-wallet-sig']?.S;
      if (sessionKey) secrets.push(JSON.parse(sessionKey).secretKey);
      if (walletSig) secrets.push(JSON.parse(walletSig).sig);
      if (item.authSig?.M?.sig?.S) secrets.push(item.authSig.M.sig.S);
    }
    for (const body of responses) {
      const sigs = (body as { sessionSigs?: Record<string, { sig: string }> } | null)?.sessionSigs;
      if (sigs) Object.values(sigs).forEach((x) => secrets.push(x.sig));
    }
    const kinds = { sessionKeys: items.filter((i) => i.entries?.M?.['lit-session-key']).length, delegation: items.filter((i) => i.authSig).length };
    expect(kinds.sessionKeys).toBeGreaterThanOrEqual(2);
    expect(kinds.delegation).toBe(1);
    expect(secrets.length).toBeGreaterThan(10);

    const text = logs.text();
    expect(text.length).toBeGreaterThan(1000); // DEBUG logging really ran
    const leaked = secrets.filter((secret) => {
      const hex = secret.replace(/^0x/, '').toLowerCase();
      // The ProofOfPossession of a wallet sig is JSON inside `sig`; look for its hex too.
      const inner = /ProofOfPossession/.test(secret) ? JSON.parse(secret).ProofOfPossession.toLowerCase() : hex;
      return text.toLowerCase().includes(hex.slice(0, 40)) || text.toLowerCase().includes(inner.slice(0, 40));
    });
    expect(leaked).toEqual([]);
  });

  it('the owner key was read through Secrets Manager and cached, and nothing left the loopback', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- handler modules read their environment at load: required after it is set, as Lambda loads them
    const { unboundStorageAccessCount } = require('../../functions/commons/session-storage');
    expect(unboundStorageAccessCount()).toBe(0); // the SDK never touched storage outside a request's scope
    expect(sm.reads()).toBeGreaterThanOrEqual(1);
    expect(sm.reads()).toBeLessThanOrEqual(2);
    expect(guard.blocked).toEqual([]);
  });
});
