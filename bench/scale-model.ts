/* eslint-disable @typescript-eslint/no-explicit-any -- a metering stand-in for DynamoDB over untyped AttributeValue JSON, and the bench JSON it reads: the real adapters it drives are typed and tested */
/**
 * Section `scale-model` (`npm run bench -- --only=scale-model`): a capacity model of issuance at
 * 10,000/s, driving the service's own code: `issueSessionSigs` (policy, rate limit, delegation,
 * scope, audit) with the DynamoDB adapters and the environment caches exactly as a function
 * builds them (createDynamoAdapters with environmentCaches), over a metering table instead of
 * DynamoDB. The table applies the adapters' condition and update expressions (only those: any
 * other expression fails the model, so it cannot drift silently from the code) and charges each
 * request DynamoDB's on-demand units from the real item sizes. The Lit SDK is stood in for by
 * an issuer that does what the SDK does with the scope's storage (reuse a lasting wallet sig,
 * else make one: a node round).
 *
 * Workload (issue 11): 10,000 issuances/s for a minute; 1,000/s from one caller (one IAM role,
 * one PKP); the rest Zipf(1) over 200 caller roles and Zipf(1) over 1,000 PKPs, each request from
 * one of many sessions of its role; requests spread over the Lambda environments the measured
 * durations need, environments replaced at the rate their assumed lifetime gives.
 */
import { ethers } from 'ethers';
import type { SectionResult, Table } from './section';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** DynamoDB's per-partition limits and the issue's target share of them. */
const PARTITION_WCU = 1_000;
const PARTITION_RCU = 3_000;
const TARGET_SHARE = 0.5;

/** Public prices assumed (us-east-1, on-demand / pay per use, as published in 2025-2026). */
const PRICES = {
  lambdaGbSecond: 0.0000166667, // x86
  lambdaRequest: 0.2 / 1e6,
  apiGatewayHttpRequest: 1.0 / 1e6, // HTTP API, first 300 M a month
  dynamoWriteUnit: 0.625 / 1e6, // on-demand WRU
  dynamoReadUnit: 0.125 / 1e6, // on-demand RRU
  secretsManagerCall: 0.05 / 1e4,
  kmsRequest: 0.03 / 1e4,
};
const LAMBDA_MEMORY_GB = 1; // routes.ts default memoryMb 1024
/** Assumed: AWS publishes no lifetime; busy environments are commonly seen living from tens of minutes to hours. */
const ENVIRONMENT_LIFETIME_S = 30 * 60;
/** Assumed DynamoDB latency per request from Lambda in-region (single-digit ms). */
const DYNAMO_LATENCY_MS = 5;
const OWNER_KEY_MAX_AGE_S = 300; // adapters/secrets.ts

export interface ScaleModelOptions {
  ratePerSecond?: number;
  seconds?: number;
}

type Item = Record<string, any>;

/** DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers ~ digits/2 + 1, maps and lists with their overhead). */
function valueSize(v: any): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return Math.ceil(String(v.N).replace(/^-/, '').replace('.', '').length / 2) + 1;
  if (v.BOOL !== undefined) return 1;
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((a, [k, x]) => a + Buffer.byteLength(k) + valueSize(x) + 1, 0);
  if (v.L !== undefined) return 3 + (v.L as any[]).reduce((a, x) => a + valueSize(x) + 1, 0);
  throw new Error(`model: attribute type not sized: ${Object.keys(v).join()}`);
}
const itemSize = (item: Item | undefined): number => (item ? Object.entries(item).reduce((a, [k, v]) => a + Buffer.byteLength(k) + valueSize(v), 0) : 0);

/**
 * An in-memory table that answers the adapters' commands and meters them per partition key and
 * second. Conditions and updates: only the exact expressions the adapters send.
 */
class MeteringTable {
  readonly items = new Map<string, Item>();
  /** `${second}|${pk}` → units. */
  readonly rcu = new Map<string, number>();
  readonly wcu = new Map<string, number>();
  readonly requests = { GetItem: 0, PutItem: 0, UpdateItem: 0, conditionalFailures: 0 };
  totalRcu = 0;
  totalWcu = 0;
  constructor(private readonly second: () => number) {}

  private charge(map: Map<string, number>, pk: string, units: number) {
    const k = `${this.second()}|${pk}`;
    map.set(k, (map.get(k) ?? 0) + units);
  }
  private key(k: Item): string {
    return `${k.pk.S}\u0000${k.sk.S}`;
  }
  private fail(): never {
    this.requests.conditionalFailures++;
    throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
  }
  private check(expr: string | undefined, item: Item | undefined, names: Record<string, string> = {}, values: Record<string, any> = {}): boolean {
    if (expr === undefined) return true;
    if (expr === 'attribute_not_exists(#pk)') return item === undefined;
    if (expr === '#version = :expected') return item !== undefined && item[names['#version']]?.N === values[':expected'].N;
    if (expr === 'attribute_not_exists(#count) OR #count <= :most')
      return item?.[names['#count']] === undefined || Number(item[names['#count']].N) <= Number(values[':most'].N);
    throw new Error(`model: condition not modelled: ${expr}`);
  }

  async send(command: { constructor: { name: string }; input: any }): Promise<any> {
    const input = command.input;
    const name = command.constructor.name.replace(/Command$/, '');
    if (name === 'GetItem') {
      this.requests.GetItem++;
      const item = this.items.get(this.key(input.Key));
      const units = Math.max(1, Math.ceil(itemSize(item) / 4096)) * (input.ConsistentRead ? 1 : 0.5);
      this.charge(this.rcu, input.Key.pk.S, units);
      this.totalRcu += units;
      // The adapters never change an item they read or sent: no copies needed.
      return { Item: item };
    }
    if (name === 'PutItem') {
      this.requests.PutItem++;
      const k = this.key(input.Item);
      const before = this.items.get(k);
      const units = Math.max(1, Math.ceil(Math.max(itemSize(before), itemSize(input.Item)) / 1024));
      this.charge(this.wcu, input.Item.pk.S, units);
      this.totalWcu += units;
      if (!this.check(input.ConditionExpression, before, input.ExpressionAttributeNames, input.ExpressionAttributeValues)) this.fail();
      this.items.set(k, input.Item);
      return {};
    }
    if (name === 'UpdateItem') {
      this.requests.UpdateItem++;
      if (input.UpdateExpression !== 'ADD #count :taken SET #ttl = if_not_exists(#ttl, :ttl)')
        throw new Error(`model: update not modelled: ${input.UpdateExpression}`);
      const k = this.key(input.Key);
      const before = this.items.get(k);
      const names = input.ExpressionAttributeNames;
      const values = input.ExpressionAttributeValues;
      const after: Item = { ...(before ?? input.Key) };
      after[names['#count']] = { N: String(Number(before?.[names['#count']]?.N ?? 0) + Number(values[':taken'].N)) };
      after[names['#ttl']] ??= values[':ttl'];
      const units = Math.max(1, Math.ceil(Math.max(itemSize(before), itemSize(after)) / 1024));
      this.charge(this.wcu, input.Key.pk.S, units);
      this.totalWcu += units;
      if (!this.check(input.ConditionExpression, before, names, values)) this.fail();
      this.items.set(k, after);
      return { Attributes: { [names['#count']]: after[names['#count']] } };
    }
    throw new Error(`model: command not modelled: ${name}`);
  }
}

/** Zipf(s) sampler over [0, n). */
function zipf(n: number, s: number, random: () => number): () => number {
  const cdf: number[] = [];
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf.push((sum += 1 / k ** s));
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A small deterministic PRNG (mulberry32): the same workload on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Issuance medians (ms) measured by the `issuance` section: latest.json if it has them, else the recorded baseline. */
function measuredDurations(): { hitMs: number; missMs: number; source: string } {
  const results = path.join(__dirname, 'results');
  try {
    const latest = JSON.parse(fs.readFileSync(path.join(results, 'latest.json'), 'utf8'));
    const cases = latest.sections?.find((s: any) => s.id === 'issuance')?.data?.passes?.[0]?.cases;
    const hit = cases?.find((c: any) => /domain: hit/.test(c.label))?.ms?.median;
    const miss = cases?.find((c: any) => /domain: miss/.test(c.label))?.ms?.median;
    if (hit > 0 && miss > 0) return { hitMs: hit, missMs: miss, source: `bench/results/latest.json (${latest.machine?.date ?? 'undated'})` };
  } catch {
    // none: the baseline below
  }
  const md = fs.readFileSync(path.join(results, 'baseline.md'), 'utf8');
  const row = (label: string) => Number(new RegExp(`\\| ${label}[^|]*\\| ([\\d.]+) ms`).exec(md)?.[1]);
  const date = /- date: (\S+)/.exec(md)?.[1] ?? 'undated';
  const hitMs = row('domain: hit');
  const missMs = row('domain: miss');
  if (!(hitMs > 0 && missMs > 0)) throw new Error('model: no measured issuance durations (run `npm run bench -- --only=issuance --record`)');
  return { hitMs, missMs, source: `bench/results/baseline.md (${date})` };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const usd = (x: number) => `$${x.toFixed(3)}`;

export async function runScaleModel(options: ScaleModelOptions = {}): Promise<SectionResult> {
  const rate = options.ratePerSecond ?? 10_000;
  const seconds = options.seconds ?? 60;
  const heavyRate = 1_000;
  const { createDynamoAdapters } = await import('../functions/commons/adapters/dynamodb');
  const { AUDIT_SHARDS, rateShardCount } = await import('../functions/commons/adapters/dynamodb/keys');
  const { issueSessionSigs } = await import('../functions/commons/domain/issue-session-sigs');
  const { scopedIssuer, requestBoundStorage, SDK_STORAGE_KEYS } = await import('../functions/commons/session-storage');
  const { NO_METRICS } = await import('../functions/commons/ports');

  const random = prng(11);
  const t0 = Date.UTC(2031, 0, 1, 12, 0, 0);
  let simNow = t0;
  const table = new MeteringTable(() => Math.floor((simNow - t0) / 1000));
  const client = table as any;

  // 1,000 PKPs, 200 caller roles (plus the heavy caller), each allowed every PKP.
  const pkps = Array.from({ length: 1_000 }, (_, i) => ethers.utils.computePublicKey(ethers.utils.hexZeroPad(ethers.utils.hexlify(i + 1), 32)));
  const role = (i: number) => `arn:aws:sts::111122223333:assumed-role/app-${i}`;
  const heavyRole = 'arn:aws:sts::111122223333:assumed-role/heavy';
  const caller = (base: string) => ({
    principal: `${base}/*`,
    pkps: ['*'],
    abilities: [{ resource: 'pkp' as const, ability: 'pkp-signing' as const }],
    allowWildcardResources: true,
    allowCallerAuthMethods: false,
    maxExpirationSeconds: 3_600,
    overMaxExpiration: 'refuse' as const,
    // 1,000/s with 20% headroom for the heavy caller; Zipf's head (about 1,500/s) likewise.
    rateLimitPerMinute: base === heavyRole ? 72_000 : 120_000,
    admin: false,
  });
  // The 200 roles under one pattern entry (`…/app-*/*`), as a policy for many backends would name them.
  const config = {
    policy: { callers: [caller(heavyRole), caller('arn:aws:sts::111122223333:assumed-role/app-*')] },
    session: { defaultExpirationSeconds: 600 },
  };
  const owner = new ethers.Wallet(ethers.utils.hexZeroPad('0x01', 32));

  // The delegation, as the refresher stores it (unrestricted: the policy allows every PKP).
  const delegationStore = createDynamoAdapters({ tableName: 't', client, now: () => simNow }).delegations;
  await delegationStore.putIfVersion(
    {
      version: 1,
      capacityTokenId: '12345',
      authSig: { sig: '0x' + 'ab'.repeat(65), derivedVia: 'web3.eth.personal.sign', signedMessage: 'x'.repeat(900), address: owner.address },
      delegatees: 'unrestricted',
      issuedAt: t0 / 1000,
      expiresAt: t0 / 1000 + 86_400,
      ownerAddress: owner.address,
      litNodes: { urls: Array.from({ length: 10 }, (_, i) => `https://node-${i}.example:443`), minNodeCount: 7 },
    },
    undefined,
  );
  const setupUnits = { rcu: table.totalRcu, wcu: table.totalWcu };
  table.rcu.clear();
  table.wcu.clear();

  // What the SDK does with the scope's storage: reuse a wallet sig that lasts, else a node round
  // making a session key and a wallet sig (sizes as the devnet's: a SIWE with a ReCap, a BLS sig).
  let nodeRounds = 0;
  const issuer = {
    async getPkpSessionSigs(p: { expiration: Date; walletSigValidUntil?: Date }) {
      if (requestBoundStorage.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE) === null) {
        nodeRounds++;
        const until = (p.walletSigValidUntil ?? p.expiration).toISOString();
        const signedMessage = `localhost wants you to sign in with your Ethereum account:\n0x${'0'.repeat(40)}\n\n${'r'.repeat(700)}\n\nURI: lit:session:${'e'.repeat(64)}\nVersion: 1\nChain ID: 1\nNonce: ${'n'.repeat(66)}\nIssued At: ${new Date(simNow).toISOString()}\nExpiration Time: ${until}\nResources:\n- urn:recap:${'c'.repeat(400)}`;
        requestBoundStorage.setItem(SDK_STORAGE_KEYS.SESSION_KEY, JSON.stringify({ publicKey: 'e'.repeat(64), secretKey: 's'.repeat(128) }));
        requestBoundStorage.setItem(
          SDK_STORAGE_KEYS.WALLET_SIGNATURE,
          JSON.stringify({
            sig: JSON.stringify({ ProofOfPossession: 'p'.repeat(192) }),
            derivedVia: 'lit.bls',
            signedMessage,
            address: '0x' + 'e'.repeat(64),
            algo: 'LIT_BLS',
          }),
        );
      }
      return { sessionSigs: {}, expiresAt: p.expiration.toISOString() };
    },
  };

  const durations = measuredDurations();
  // Environments: what the arrival rate needs at the measured hit duration (Little's law), with
  // the per-request DynamoDB round trips of this design added below once they are known.
  const hitServiceMs = durations.hitMs;
  const concurrency = Math.ceil((rate * hitServiceMs) / 1000);
  const newEnvironment = () => createDynamoAdapters({ tableName: 't', client, now: () => simNow, environmentCaches: true });
  const envs = Array.from({ length: concurrency }, newEnvironment);
  const coldStartsPerSecond = concurrency / ENVIRONMENT_LIFETIME_S;
  let coldStarts = 0;
  let coldCarry = 0;

  const pickRole = zipf(200, 1, random);
  const pickPkp = zipf(1_000, 1, random);
  const deps = (env: ReturnType<typeof newEnvironment>) => ({
    config: config as any,
    ...env,
    issuer: scopedIssuer(issuer as any, env.sessionScopes),
    ownerKey: async () => owner,
    metrics: NO_METRICS,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    now: () => simNow,
  });
  const outcomes = new Map<string, number>();
  const started = performance.now();
  let issued = 0;
  let requestsTotal = 0;
  const heavyEvery = Math.round(rate / heavyRate);
  for (let second = 0; second < seconds; second++) {
    // Environments that end their life this second are replaced by new (cold) ones.
    coldCarry += coldStartsPerSecond;
    for (; coldCarry >= 1; coldCarry--) {
      envs[Math.floor(random() * envs.length)] = newEnvironment();
      coldStarts++;
    }
    // One invocation at a time per environment, as on Lambda: each environment's requests queue.
    const queues = new Map<ReturnType<typeof newEnvironment>, Promise<unknown>>();
    for (let i = 0; i < rate; i++) {
      simNow = t0 + second * 1000 + Math.floor((i * 1000) / rate);
      const heavy = i % heavyEvery === 0;
      const callerArn = heavy ? `${heavyRole}/s-${Math.floor(random() * 50)}` : `${role(pickRole())}/s-${Math.floor(random() * 50)}`;
      const pkp = heavy ? pkps[0] : pkps[pickPkp()];
      const env = envs[Math.floor(random() * envs.length)];
      requestsTotal++;
      const at = simNow;
      const run = () => {
        simNow = at;
        return issueSessionSigs(deps(env), {
          requestId: `r-${second}-${i}`,
          caller: callerArn,
          readBody: () => ({ pkpPublicKey: pkp, resourceAbilityRequests: [{ resource: { kind: 'pkp', id: '*' }, ability: 'pkp-signing' }] }),
          deadlineMs: at + 27_000,
        }).then(
          () => void issued++,
          (e: { code?: string }) => void outcomes.set(e.code ?? 'error', (outcomes.get(e.code ?? 'error') ?? 0) + 1),
        );
      };
      queues.set(env, (queues.get(env) ?? Promise.resolve()).then(run));
    }
    await Promise.all(queues.values());
  }
  const modelMs = performance.now() - started;

  // Per key class: the hottest key's units in its busiest second, against the partition limit.
  const hottest = (map: Map<string, number>, prefix: string) => {
    let best = { key: '-', units: 0 };
    const keys = new Set<string>();
    for (const [k, units] of map) {
      const pk = k.slice(k.indexOf('|') + 1);
      if (!pk.startsWith(prefix)) continue;
      keys.add(pk);
      if (units > best.units) best = { key: pk, units };
    }
    return { ...best, keys: keys.size };
  };
  const classes: [string, string, string][] = [
    ['audit records', 'AUDIT#', `${AUDIT_SHARDS} shards per day`],
    ['rate counters', 'RATE#', `heavy caller: ${rateShardCount(72_000)} shards`],
    ['session scopes', 'SCOPE#', 'one per PKP × role × auth identity'],
    ['delegation', 'DELEGATION', 'cached 10 s per environment'],
  ];
  let targetsMet = true;
  const keyTable: Table = {
    title: `Per partition key, busiest second (${num(rate, 0)} issuances/s for ${seconds} s; limits ${PARTITION_WCU} WCU/s, ${PARTITION_RCU} RCU/s; target ≤ ${pct(TARGET_SHARE)})`,
    columns: ['keys', 'design', 'distinct keys', 'hottest key WCU/s', 'of limit', 'hottest key RCU/s', 'of limit', 'target met'],
    rows: classes.map(([label, prefix, design]) => {
      const w = hottest(table.wcu, prefix);
      const r = hottest(table.rcu, prefix);
      const ok = w.units <= PARTITION_WCU * TARGET_SHARE && r.units <= PARTITION_RCU * TARGET_SHARE;
      targetsMet &&= ok;
      return [
        label,
        design,
        num(Math.max(w.keys, r.keys), 0),
        num(w.units),
        pct(w.units / PARTITION_WCU),
        num(r.units),
        pct(r.units / PARTITION_RCU),
        ok ? 'yes' : 'NO',
      ];
    }),
  };

  const perIssuance = (x: number) => x / requestsTotal;
  const reqs = table.requests;
  const dynamoCalls = reqs.GetItem + reqs.PutItem + reqs.UpdateItem;
  const requestTable: Table = {
    title: 'DynamoDB per issuance',
    columns: ['GetItem', 'PutItem', 'UpdateItem', 'all requests', 'read units', 'write units', 'conditional failures'],
    rows: [
      [
        reqs.GetItem,
        reqs.PutItem,
        reqs.UpdateItem,
        dynamoCalls,
        table.totalRcu - setupUnits.rcu,
        table.totalWcu - setupUnits.wcu,
        reqs.conditionalFailures,
      ].map((x) => num(perIssuance(x), 3)),
    ],
  };

  // Lambda: the measured duration of a hit (most issuances) and a miss, weighted by this run's node rounds.
  const missShare = nodeRounds / requestsTotal;
  const durationMs = (1 - missShare) * durations.hitMs + missShare * durations.missMs;
  const lambdaConcurrency = (rate * durationMs) / 1000;
  const secretsCallsPerSecond = lambdaConcurrency / OWNER_KEY_MAX_AGE_S + coldStarts / seconds;
  const perMillion = {
    lambda: 1e6 * ((durationMs / 1000) * LAMBDA_MEMORY_GB * PRICES.lambdaGbSecond + PRICES.lambdaRequest),
    apiGateway: 1e6 * PRICES.apiGatewayHttpRequest,
    dynamodb:
      1e6 * (perIssuance(table.totalRcu - setupUnits.rcu) * PRICES.dynamoReadUnit + perIssuance(table.totalWcu - setupUnits.wcu) * PRICES.dynamoWriteUnit),
    secretsManager: (1e6 * (secretsCallsPerSecond * PRICES.secretsManagerCall)) / rate,
    // One Decrypt per Secrets Manager read (its CMK); DynamoDB's CMK use is cached per connection and negligible here.
    kms: (1e6 * (secretsCallsPerSecond * PRICES.kmsRequest)) / rate,
  };
  const total = Object.values(perMillion).reduce((a, b) => a + b, 0);
  const lambdaTable: Table = {
    title: 'Lambda and cost',
    columns: ['what', 'value'],
    rows: [
      ['measured issuance duration: hit / miss (median)', `${num(durations.hitMs)} ms / ${num(durations.missMs)} ms, from ${durations.source}`],
      ['node rounds (wallet sig misses) in the run', `${num(nodeRounds, 0)} (${pct(missShare)} of issuances)`],
      ['Lambda concurrency needed (rate × mean duration)', `${num(lambdaConcurrency, 0)} environments (${num(concurrency, 0)} modelled)`],
      ['cold starts in the run (environment lifetime assumed 30 min)', `${num(coldStarts, 0)} (${num(coldStarts / seconds, 2)}/s)`],
      [
        'DynamoDB time per issuance (sequential requests × assumed 5 ms)',
        `${num(perIssuance(dynamoCalls) * DYNAMO_LATENCY_MS, 1)} ms (inside the measured duration's DynamoDB Local share)`,
      ],
      [
        'cost per million issuances',
        `${usd(total)}: Lambda ${usd(perMillion.lambda)}, API Gateway ${usd(perMillion.apiGateway)}, DynamoDB ${usd(perMillion.dynamodb)}, Secrets Manager ${usd(perMillion.secretsManager)}, KMS ${usd(perMillion.kms)}`,
      ],
      [
        'prices assumed (us-east-1)',
        `Lambda $${PRICES.lambdaGbSecond}/GB-s (1 GB) + $0.20/M requests; HTTP API $1.00/M; DynamoDB on-demand $0.625/M WRU, $0.125/M RRU; Secrets Manager $0.05/10k calls; KMS $0.03/10k requests`,
      ],
      ['refused or failed in the run', outcomes.size === 0 ? 'none' : [...outcomes].map(([c, n]) => `${c} ${n}`).join(', ')],
    ],
  };
  const notes = [
    `Targets: ${targetsMet && outcomes.size === 0 ? 'met' : 'NOT met'}: no partition key above ${pct(TARGET_SHARE)} of its limits, every issuance audited (${num(issued, 0)} issued, ${num(requestsTotal, 0)} audit records), the heavy caller served at 1,000/s.`,
    `Driven through issueSessionSigs and createDynamoAdapters({ environmentCaches: true }); ${num(requestsTotal, 0)} simulated issuances took ${num(modelMs / 1000, 1)} s of CPU here.`,
    "Per session instead of per role (the old scope key), every one of a role's sessions would make its own node round and scope item: 50 sessions per role here.",
  ];
  return {
    id: 'scale-model',
    title: 'Capacity model: 10,000 issuances/s on Lambda and DynamoDB',
    tables: [keyTable, requestTable, lambdaTable],
    notes,
    data: { rate, seconds, targetsMet, issued, requestsTotal, nodeRounds, coldStarts, lambdaConcurrency, perMillion, requests: reqs, rows: keyTable.rows },
  };
}
