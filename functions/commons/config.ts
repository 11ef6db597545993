/**
 * The one configuration schema of the service. The CDK app validates it at synth time (so a bad
 * config never deploys) and hands the runtime part to every function as one JSON environment
 * variable, where the same parser reads it again. The local stack uses the same file.
 *
 * Hand-written rather than zod: it keeps the Lambda bundles small and lets every error name the
 * exact path that is wrong.
 */

export const LIT_NETWORKS = ['datil-dev', 'datil-test', 'datil', 'custom'] as const;
export type LitNetworkName = (typeof LIT_NETWORKS)[number];

/** Resource kinds a caller may ask abilities for, as the service names them in requests. */
export const RESOURCE_KINDS = ['pkp', 'lit-action', 'access-control-condition', 'rate-limit-increase'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Lit abilities (values of LIT_ABILITY in @lit-protocol/constants v7). */
export const ABILITIES = [
  'pkp-signing',
  'lit-action-execution',
  'access-control-condition-decryption',
  'access-control-condition-signing',
  'rate-limit-increase-auth',
] as const;
export type Ability = (typeof ABILITIES)[number];

/** Which ability belongs to which resource kind; any other pairing is refused as invalid. */
export const ABILITIES_BY_RESOURCE: Record<ResourceKind, readonly Ability[]> = {
  pkp: ['pkp-signing'],
  'lit-action': ['lit-action-execution'],
  'access-control-condition': ['access-control-condition-decryption', 'access-control-condition-signing'],
  'rate-limit-increase': ['rate-limit-increase-auth'],
};

/** The contract names LitContracts needs for network 'custom' (all 11, or it throws). */
export const LIT_CONTRACT_NAMES = [
  'Allowlist',
  'LITToken',
  'Multisender',
  'PKPHelper',
  'PKPNFT',
  'PKPNFTMetadata',
  'PKPPermissions',
  'PubkeyRouter',
  'RateLimitNFT',
  'Staking',
  'StakingBalances',
] as const;
export type LitContractName = (typeof LIT_CONTRACT_NAMES)[number];

export interface CustomNetworkConfig {
  /** JSON-RPC URL of the chain that holds the Lit contracts. */
  rpcUrl: string;
  /** Address of each Lit contract on that chain. */
  contracts: Record<LitContractName, string>;
  /** Replaces the SDK's hard-coded public block indexer (`/get_most_recent_valid_block`). */
  blockhashUrl?: string;
  /** @default 'http' for custom networks, as the SDK does */
  nodeProtocol?: 'http' | 'https';
}

export interface LitConfig {
  network: LitNetworkName;
  /** Required when network is 'custom'. */
  custom?: CustomNetworkConfig;
  /** Overrides the chain RPC for named networks (default: the SDK's Chronicle Yellowstone RPC). */
  rpcUrl?: string;
  /** Per-attempt handshake timeout. @default 10000 */
  connectTimeoutMs: number;
  /** Connection attempts within one request before giving up with LIT_UNAVAILABLE. @default 3 */
  connectAttempts: number;
}

export interface DelegationConfig {
  /** Capacity Credits NFT token id (decimal string). */
  capacityTokenId: string;
  /** Lifetime of each new capacity delegation. @default 86400 (one day) */
  validitySeconds: number;
  /** Refresh when the stored delegation expires within this margin. @default 21600 (six hours) */
  refreshMarginSeconds: number;
  /** Uses per delegation, as a decimal string; absent means unlimited (the SDK's default). */
  uses?: string;
  /**
   * 'policy-pkps': the delegation is restricted to the ETH addresses of every PKP named in the
   * caller policy. 'unrestricted': any PKP may use it (only when the policy allows `*` PKPs).
   * @default 'policy-pkps'
   */
  delegatees: 'policy-pkps' | 'unrestricted';
  /** EventBridge Scheduler expression for the refresher. @default 'rate(1 hour)' */
  schedule: string;
}

export interface SessionConfig {
  /** Expiry used when a request names none. @default 600 */
  defaultExpirationSeconds: number;
}

export interface AbilityGrant {
  resource: ResourceKind;
  ability: Ability;
}

export interface CallerPolicy {
  /**
   * IAM principal ARN as API Gateway reports it (`requestContext.authorizer.iam.userArn`), or a
   * pattern where `*` matches any run of characters (e.g. `arn:aws:sts::123456789012:assumed-role/app-*`).
   */
  principal: string;
  /** PKP public keys (0x04…, uncompressed) this caller may get session sigs for; `*` means any. */
  pkps: string[];
  /** Resource kinds and abilities this caller may request. */
  abilities: AbilityGrant[];
  /** May the caller request `*` as a resource id? @default false */
  allowWildcardResources: boolean;
  /** May the caller supply its own `authMethods` instead of the owner's? @default false */
  allowCallerAuthMethods: boolean;
  /** Longest session-sig lifetime this caller may request. @default 3600 */
  maxExpirationSeconds: number;
  /** What to do with a request above the maximum. @default 'refuse' */
  overMaxExpiration: 'refuse' | 'clamp';
  /** Issuance requests per minute. @default 60 */
  rateLimitPerMinute: number;
  /** May call admin routes (refresh delegation, mint PKPs). @default false */
  admin: boolean;
  /**
   * Which Lit Actions this caller may authenticate with (`litActionIpfsId` / `litActionCode` in
   * POST /session-sigs). Absent: none (default deny).
   */
  litActions?: LitActionPolicy;
}

/**
 * A caller's Lit Action allowance. An action is named by its IPFS CIDv0, as Lit nodes name it
 * (inline code by the CID the node computes from it), so one list covers both ways of sending it.
 */
export interface LitActionPolicy {
  /** CIDv0s (`Qm…`) of the actions allowed, or `'*'` for any action the PKP itself permits on chain. Non-empty. */
  allowedCids: string[];
  /**
   * May the caller send the action's code itself (`litActionCode`)? Its CID must still be allowed.
   * Off by default: inline code lets a caller run code nobody reviewed under this service's
   * capacity delegation, so only a CID list someone checked (or '*') should open it. @default false
   */
  allowInlineCode: boolean;
}

export interface PolicyConfig {
  callers: CallerPolicy[];
}

export interface ApiConfig {
  /**
   * Steady-state requests per second for EACH route (API Gateway applies a stage's default route
   * settings per route, not to the API as a whole). @default 50
   */
  throttleRateLimit: number;
  /** Burst for each route. @default 100 */
  throttleBurstLimit: number;
  /** Per-route rate of the admin routes (refresh, list and mint PKPs), which sign or mint. @default 1 */
  adminThrottleRateLimit: number;
  /** @default 5 */
  adminThrottleBurstLimit: number;
  /** Largest request body accepted. @default 16384 */
  maxBodyBytes: number;
}

/** Where the alarm topic delivers: an e-mail address (confirmed by a link SNS mails) or an https endpoint. */
export interface AlarmSubscription {
  protocol: 'email' | 'https';
  endpoint: string;
}

export interface ObservabilityConfig {
  /** CloudWatch Logs retention for every function and the access log. @default 30 */
  logRetentionDays: number;
  /** Audit records are kept this long (DynamoDB TTL). @default 90 */
  auditRetentionDays: number;
  /** Alarm when the current delegation has fewer seconds left than this. @default 3600 */
  delegationAlarmSeconds: number;
  /** Alarm when the capacity NFT expires in fewer days than this. @default 7 */
  capacityAlarmDays: number;
  /** Subscriptions the stack adds to the alarm topic. @default [] (subscribe by hand; see the README) */
  alarmSubscriptions: AlarmSubscription[];
}

/** The whole file a user edits. */
export interface ServiceConfig {
  /** Prefix for stack and resource names. @default 'lit-session-service' */
  serviceName: string;
  lit: LitConfig;
  /** Name or ARN of the Secrets Manager secret that holds the owner's Ethereum private key. */
  ownerKeySecret: string;
  /**
   * ARN of the customer-managed KMS key the secret is encrypted with, if not the default
   * `aws/secretsmanager` key. The functions that read the secret get kms:Decrypt on it, via
   * Secrets Manager only. @default the AWS managed key (no grant needed)
   */
  ownerKeySecretKmsKeyArn?: string;
  /**
   * 'managed': the service stack attaches a resource policy to the secret that denies
   * GetSecretValue to every principal but the signing functions' roles and the break-glass role
   * (the secret must exist, in this account and region, before deploy). 'external': the operator
   * manages the secret's policy (e.g. a secret in another account). @default 'managed'
   */
  ownerKeySecretPolicy: 'managed' | 'external';
  /** IAM role that may still read the owner key under the managed policy (recovery, rotation). */
  ownerKeyBreakGlassRoleArn?: string;
  delegation: DelegationConfig;
  session: SessionConfig;
  policy: PolicyConfig;
  api: ApiConfig;
  observability: ObservabilityConfig;
  reservedConcurrency: ReservedConcurrencyConfig;
}

export interface ReservedConcurrencyConfig {
  /**
   * Concurrency reserved for the scheduled delegation refresher, so a burst of issuance in the
   * account cannot starve it. 0 reserves none (an account whose limit leaves no room to reserve).
   * @default 2
   */
  refresher: number;
}

/** What the functions need at run time (no deploy-only settings). Serialized into SERVICE_CONFIG. */
export type RuntimeConfig = Pick<ServiceConfig, 'lit' | 'delegation' | 'session' | 'policy'> & {
  maxBodyBytes: number;
  auditRetentionDays: number;
};

export function toRuntimeConfig(c: ServiceConfig): RuntimeConfig {
  return {
    lit: c.lit,
    delegation: c.delegation,
    session: c.session,
    policy: c.policy,
    maxBodyBytes: c.api.maxBodyBytes,
    auditRetentionDays: c.observability.auditRetentionDays,
  };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid lit-session-service config:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing. Every problem is collected (not only the first) so a user fixes the file in one go.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const ETH_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** Uncompressed secp256k1 public key, as Lit names PKPs. */
export const PKP_PUBLIC_KEY = /^0x04[0-9a-fA-F]{128}$/;
const DECIMAL = /^[0-9]{1,78}$/;

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/**
 * Is `s` an IPFS CIDv0: base58btc of a sha2-256 multihash (0x12 0x20 + 32 bytes), the only form
 * a Lit node accepts as `litActionIpfsId` and the form it computes for inline code? The `Qm…`
 * shape alone admits strings that decode to other bytes.
 */
export function isCidV0(s: string): boolean {
  if (s.length !== 46 || !s.startsWith('Qm')) return false;
  let n = 0n;
  for (const c of s) {
    const digit = BASE58.indexOf(c);
    if (digit < 0) return false;
    n = n * 58n + BigInt(digit);
  }
  // 34 bytes starting 0x12 0x20: the value lies in [0x1220 << 256, 0x1221 << 256).
  return n >> 256n === 0x1220n;
}
/**
 * EventBridge's rate rule: a singular unit for 1 and a plural one above (`rate(1 hours)` and
 * `rate(5 hour)` are refused). Scheduler's reference lists both forms without the rule; these are
 * the forms both accept and the ones CDK itself writes.
 */
export const RATE_EXPRESSION = /^rate\((?:(1) (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)$/;
const SCHEDULE = new RegExp(`${RATE_EXPRESSION.source}|^cron\\(.+\\)$`);

class Reader {
  readonly problems: string[] = [];

  problem(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }

  obj(v: unknown, path: string): Obj {
    if (v === undefined) return {};
    if (!isObj(v)) {
      this.problem(path, 'must be an object');
      return {};
    }
    return v;
  }

  unknownKeys(o: Obj, path: string, known: readonly string[]): void {
    for (const k of Object.keys(o)) if (!known.includes(k)) this.problem(`${path}.${k}`, `unknown setting (known: ${known.join(', ')})`);
  }

  str(o: Obj, key: string, path: string, opts: { default?: string; pattern?: RegExp; hint?: string } = {}): string {
    const v = o[key];
    if (v === undefined) {
      if (opts.default !== undefined) return opts.default;
      this.problem(`${path}.${key}`, 'is required');
      return '';
    }
    if (typeof v !== 'string' || v.length === 0) {
      this.problem(`${path}.${key}`, 'must be a non-empty string');
      return '';
    }
    if (opts.pattern && !opts.pattern.test(v)) this.problem(`${path}.${key}`, `must be ${opts.hint ?? `like ${opts.pattern}`}`);
    return v;
  }

  optStr(o: Obj, key: string, path: string, opts: { pattern?: RegExp; hint?: string } = {}): string | undefined {
    return o[key] === undefined ? undefined : this.str(o, key, path, opts);
  }

  int(o: Obj, key: string, path: string, def: number, min: number, max: number): number {
    const v = o[key];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.problem(`${path}.${key}`, `must be a whole number from ${min} to ${max}`);
      return def;
    }
    return v;
  }

  bool(o: Obj, key: string, path: string, def: boolean): boolean {
    const v = o[key];
    if (v === undefined) return def;
    if (typeof v !== 'boolean') {
      this.problem(`${path}.${key}`, 'must be true or false');
      return def;
    }
    return v;
  }

  oneOf<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[], def?: T): T {
    const v = o[key];
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.problem(`${path}.${key}`, `must be one of ${allowed.join(', ')}`);
      return (def ?? allowed[0]) as T;
    }
    return v as T;
  }
}

function readCustom(r: Reader, raw: unknown, path: string): CustomNetworkConfig | undefined {
  if (raw === undefined) return r.problem(path, "is required when network is 'custom'");
  const o = r.obj(raw, path);
  r.unknownKeys(o, path, ['rpcUrl', 'contracts', 'blockhashUrl', 'nodeProtocol']);
  const rpcUrl = r.str(o, 'rpcUrl', path, { pattern: /^https?:\/\/.+/, hint: 'an http(s) URL' });
  const c = r.obj(o.contracts, `${path}.contracts`);
  r.unknownKeys(c, `${path}.contracts`, LIT_CONTRACT_NAMES);
  const contracts = {} as Record<LitContractName, string>;
  for (const name of LIT_CONTRACT_NAMES) {
    contracts[name] = r.str(c, name, `${path}.contracts`, { pattern: ETH_ADDRESS, hint: 'a 0x-prefixed 20-byte address' });
  }
  const blockhashUrl = r.optStr(o, 'blockhashUrl', path, { pattern: /^https?:\/\/.+/, hint: 'an http(s) URL' });
  const nodeProtocol = o.nodeProtocol === undefined ? undefined : r.oneOf(o, 'nodeProtocol', path, ['http', 'https'] as const);
  return { rpcUrl, contracts, blockhashUrl, nodeProtocol };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function readAlarmSubscriptions(r: Reader, raw: unknown, path: string): AlarmSubscription[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    r.problem(path, 'must be a list of { protocol, endpoint }');
    return [];
  }
  return raw.map((item, i) => {
    const p = `${path}[${i}]`;
    const o = r.obj(item, p);
    r.unknownKeys(o, p, ['protocol', 'endpoint']);
    const known = o.protocol === 'email' || o.protocol === 'https';
    const protocol = r.oneOf(o, 'protocol', p, ['email', 'https'] as const);
    // The endpoint's shape depends on the protocol: with an unknown protocol only its presence is checked.
    const shape = !known ? {} : protocol === 'email' ? { pattern: EMAIL, hint: 'an e-mail address' } : { pattern: /^https:\/\/\S+$/, hint: 'an https:// URL' };
    return { protocol, endpoint: r.str(o, 'endpoint', p, shape) };
  });
}

function readCaller(r: Reader, raw: unknown, path: string): CallerPolicy {
  const o = r.obj(raw, path);
  r.unknownKeys(o, path, [
    'principal',
    'pkps',
    'abilities',
    'allowWildcardResources',
    'allowCallerAuthMethods',
    'maxExpirationSeconds',
    'overMaxExpiration',
    'rateLimitPerMinute',
    'admin',
    'litActions',
  ]);
  const principal = r.str(o, 'principal', path);
  if (principal === '*') r.problem(`${path}.principal`, "must not be '*' alone: name an ARN or an ARN pattern");
  const pkps: string[] = [];
  if (o.pkps === undefined) pkps.push();
  else if (!Array.isArray(o.pkps)) r.problem(`${path}.pkps`, 'must be a list of PKP public keys');
  else
    o.pkps.forEach((p, i) => {
      if (p === '*' || (typeof p === 'string' && PKP_PUBLIC_KEY.test(p))) pkps.push(p === '*' ? p : p.toLowerCase());
      else r.problem(`${path}.pkps[${i}]`, "must be an uncompressed PKP public key (0x04 + 128 hex) or '*'");
    });
  const abilities: AbilityGrant[] = [];
  if (o.abilities !== undefined && !Array.isArray(o.abilities)) r.problem(`${path}.abilities`, 'must be a list');
  else
    ((o.abilities as unknown[]) ?? []).forEach((a, i) => {
      const ap = `${path}.abilities[${i}]`;
      const ao = r.obj(a, ap);
      r.unknownKeys(ao, ap, ['resource', 'ability']);
      const resource = r.oneOf(ao, 'resource', ap, RESOURCE_KINDS);
      const ability = r.oneOf(ao, 'ability', ap, ABILITIES);
      if (!ABILITIES_BY_RESOURCE[resource].includes(ability)) r.problem(ap, `ability '${ability}' does not apply to resource '${resource}'`);
      abilities.push({ resource, ability });
    });
  return {
    principal,
    pkps,
    abilities,
    allowWildcardResources: r.bool(o, 'allowWildcardResources', path, false),
    allowCallerAuthMethods: r.bool(o, 'allowCallerAuthMethods', path, false),
    maxExpirationSeconds: r.int(o, 'maxExpirationSeconds', path, 3600, 60, 7 * 24 * 3600),
    overMaxExpiration: r.oneOf(o, 'overMaxExpiration', path, ['refuse', 'clamp'] as const, 'refuse'),
    rateLimitPerMinute: r.int(o, 'rateLimitPerMinute', path, 60, 1, 1_000_000),
    admin: r.bool(o, 'admin', path, false),
    ...(o.litActions === undefined ? {} : { litActions: readLitActions(r, o.litActions, `${path}.litActions`) }),
  };
}

function readLitActions(r: Reader, raw: unknown, path: string): LitActionPolicy {
  if (!isObj(raw)) {
    r.problem(path, 'must be an object { allowedCids, allowInlineCode }');
    return { allowedCids: [], allowInlineCode: false };
  }
  const o = raw;
  r.unknownKeys(o, path, ['allowedCids', 'allowInlineCode']);
  const allowedCids: string[] = [];
  if (!Array.isArray(o.allowedCids) || o.allowedCids.length === 0)
    r.problem(`${path}.allowedCids`, "must be a non-empty list of IPFS CIDv0s or '*' (leave litActions out to allow no action)");
  else
    o.allowedCids.forEach((c, i) => {
      if (c === '*' || (typeof c === 'string' && isCidV0(c))) allowedCids.push(c);
      else r.problem(`${path}.allowedCids[${i}]`, "must be an IPFS CIDv0 (Qm + 44 base58 characters, as Lit nodes name actions) or '*'");
    });
  return { allowedCids, allowInlineCode: r.bool(o, 'allowInlineCode', path, false) };
}

/** Validates a parsed config object, fills defaults, and throws one ConfigError naming every problem. */
export function parseServiceConfig(raw: unknown): ServiceConfig {
  const r = new Reader();
  const root = r.obj(raw, 'config');
  r.unknownKeys(root, 'config', ['$schema', 'serviceName', 'lit', 'ownerKeySecret', 'ownerKeySecretKmsKeyArn', 'ownerKeySecretPolicy', 'ownerKeyBreakGlassRoleArn', 'delegation', 'session', 'policy', 'api', 'observability', 'reservedConcurrency']);

  const serviceName = r.str(root, 'serviceName', 'config', {
    default: 'lit-session-service',
    pattern: /^[A-Za-z][A-Za-z0-9-]{0,39}$/,
    hint: 'letters, digits and dashes, starting with a letter, at most 40 characters',
  });

  const litRaw = r.obj(root.lit, 'lit');
  r.unknownKeys(litRaw, 'lit', ['network', 'custom', 'rpcUrl', 'connectTimeoutMs', 'connectAttempts']);
  const network = r.oneOf(litRaw, 'network', 'lit', LIT_NETWORKS);
  const lit: LitConfig = {
    network,
    custom: network === 'custom' ? readCustom(r, litRaw.custom, 'lit.custom') : undefined,
    rpcUrl: r.optStr(litRaw, 'rpcUrl', 'lit', { pattern: /^https?:\/\/.+/, hint: 'an http(s) URL' }),
    connectTimeoutMs: r.int(litRaw, 'connectTimeoutMs', 'lit', 10_000, 500, 60_000),
    connectAttempts: r.int(litRaw, 'connectAttempts', 'lit', 3, 1, 10),
  };
  if (network !== 'custom' && litRaw.custom !== undefined) r.problem('lit.custom', "is only used when network is 'custom'");

  const ownerKeySecret = r.str(root, 'ownerKeySecret', 'config', {
    pattern: /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/,
    hint: 'a Secrets Manager secret name or ARN',
  });

  const ownerKeySecretKmsKeyArn = r.optStr(root, 'ownerKeySecretKmsKeyArn', 'config', {
    pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-fA-F-]{36}$/,
    hint: 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)',
  });

  const ownerKeySecretPolicy = r.oneOf(root, 'ownerKeySecretPolicy', 'config', ['managed', 'external'] as const, 'managed');
  const ownerKeyBreakGlassRoleArn = r.optStr(root, 'ownerKeyBreakGlassRoleArn', 'config', {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/,
    hint: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  });
  if (ownerKeyBreakGlassRoleArn !== undefined && ownerKeySecretPolicy === 'external')
    r.problem('config.ownerKeyBreakGlassRoleArn', "is only used when ownerKeySecretPolicy is 'managed'");

  const d = r.obj(root.delegation, 'delegation');
  r.unknownKeys(d, 'delegation', ['capacityTokenId', 'validitySeconds', 'refreshMarginSeconds', 'uses', 'delegatees', 'schedule']);
  const delegation: DelegationConfig = {
    capacityTokenId: r.str(d, 'capacityTokenId', 'delegation', { pattern: DECIMAL, hint: 'a decimal token id, as a string' }),
    validitySeconds: r.int(d, 'validitySeconds', 'delegation', 86_400, 600, 30 * 86_400),
    refreshMarginSeconds: r.int(d, 'refreshMarginSeconds', 'delegation', 21_600, 60, 30 * 86_400),
    uses: r.optStr(d, 'uses', 'delegation', { pattern: DECIMAL, hint: 'a decimal count, as a string' }),
    delegatees: r.oneOf(d, 'delegatees', 'delegation', ['policy-pkps', 'unrestricted'] as const, 'policy-pkps'),
    schedule: r.str(d, 'schedule', 'delegation', { default: 'rate(1 hour)', pattern: SCHEDULE, hint: "'rate(1 minute|hour|day)', 'rate(N minutes|hours|days)' with N > 1, or 'cron(...)'" }),
  };
  if (delegation.refreshMarginSeconds >= delegation.validitySeconds)
    r.problem('delegation.refreshMarginSeconds', 'must be less than delegation.validitySeconds, or every run would refresh');

  const s = r.obj(root.session, 'session');
  r.unknownKeys(s, 'session', ['defaultExpirationSeconds']);
  const session: SessionConfig = { defaultExpirationSeconds: r.int(s, 'defaultExpirationSeconds', 'session', 600, 60, 7 * 24 * 3600) };

  const p = r.obj(root.policy, 'policy');
  r.unknownKeys(p, 'policy', ['callers']);
  const callers: CallerPolicy[] = [];
  if (!Array.isArray(p.callers)) r.problem('policy.callers', 'must be a list (an empty list denies everyone)');
  else p.callers.forEach((c, i) => callers.push(readCaller(r, c, `policy.callers[${i}]`)));
  const seen = new Set<string>();
  callers.forEach((c, i) => {
    if (seen.has(c.principal)) r.problem(`policy.callers[${i}].principal`, `'${c.principal}' is listed twice`);
    seen.add(c.principal);
    if (c.pkps.includes('*') && delegation.delegatees === 'policy-pkps')
      r.problem(`policy.callers[${i}].pkps`, "'*' needs delegation.delegatees 'unrestricted' (a restricted delegation cannot name every PKP)");
    // On Lit a session is not bound to one PKP: an action run with it may sign with any PKP whose
    // permissions the owner's auth passes (every PKP the owner holds), so this ability cannot be
    // confined to the caller's PKPs.
    const actionGrant = c.abilities.findIndex((a) => a.ability === 'lit-action-execution');
    if (actionGrant >= 0 && !c.pkps.includes('*'))
      r.problem(
        `policy.callers[${i}].abilities[${actionGrant}]`,
        "'lit-action-execution' needs pkps ['*']: on Lit, an action run with these session sigs can sign with every PKP the owner holds",
      );
  });

  const a = r.obj(root.api, 'api');
  r.unknownKeys(a, 'api', ['throttleRateLimit', 'throttleBurstLimit', 'adminThrottleRateLimit', 'adminThrottleBurstLimit', 'maxBodyBytes']);
  const api: ApiConfig = {
    throttleRateLimit: r.int(a, 'throttleRateLimit', 'api', 50, 1, 10_000),
    throttleBurstLimit: r.int(a, 'throttleBurstLimit', 'api', 100, 1, 5_000),
    adminThrottleRateLimit: r.int(a, 'adminThrottleRateLimit', 'api', 1, 1, 10_000),
    adminThrottleBurstLimit: r.int(a, 'adminThrottleBurstLimit', 'api', 5, 1, 5_000),
    maxBodyBytes: r.int(a, 'maxBodyBytes', 'api', 16_384, 1_024, 1_048_576),
  };

  const ob = r.obj(root.observability, 'observability');
  r.unknownKeys(ob, 'observability', ['logRetentionDays', 'auditRetentionDays', 'delegationAlarmSeconds', 'capacityAlarmDays', 'alarmSubscriptions']);
  const observability: ObservabilityConfig = {
    logRetentionDays: r.int(ob, 'logRetentionDays', 'observability', 30, 1, 3653),
    auditRetentionDays: r.int(ob, 'auditRetentionDays', 'observability', 90, 1, 3653),
    delegationAlarmSeconds: r.int(ob, 'delegationAlarmSeconds', 'observability', 3600, 60, 30 * 86_400),
    capacityAlarmDays: r.int(ob, 'capacityAlarmDays', 'observability', 7, 1, 365),
    alarmSubscriptions: readAlarmSubscriptions(r, ob.alarmSubscriptions, 'observability.alarmSubscriptions'),
  };

  const rc = r.obj(root.reservedConcurrency, 'reservedConcurrency');
  r.unknownKeys(rc, 'reservedConcurrency', ['refresher']);
  const reservedConcurrency: ReservedConcurrencyConfig = { refresher: r.int(rc, 'refresher', 'reservedConcurrency', 2, 0, 100) };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { serviceName, lit, ownerKeySecret, ownerKeySecretKmsKeyArn, ownerKeySecretPolicy, ownerKeyBreakGlassRoleArn, delegation, session, policy: { callers }, api, observability, reservedConcurrency };
}

/** Name of the environment variable that carries the runtime config into every function. */
export const RUNTIME_CONFIG_ENV = 'SERVICE_CONFIG';

/**
 * API Gateway's integration timeout, which the stack sets on every route (29 s is the most CDK
 * allows). It runs from when the gateway got the request, so it also counts Lambda init: the
 * handlers budget from the request's `timeEpoch`, not from the Lambda's remaining time alone.
 */
export const API_INTEGRATION_TIMEOUT_MS = 29_000;

/** Lambda caps all environment variables of a function at 4 KB together. */
export const LAMBDA_ENV_LIMIT_BYTES = 4096;

/**
 * Reads the runtime config from the environment. Re-validates the policy part with the same
 * parser, so a hand-edited function environment cannot bypass validation.
 */
export function readRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const raw = env[RUNTIME_CONFIG_ENV];
  if (!raw) throw new ConfigError([`${RUNTIME_CONFIG_ENV} is not set`]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError([`${RUNTIME_CONFIG_ENV} is not valid JSON`]);
  }
  if (!isObj(parsed)) throw new ConfigError([`${RUNTIME_CONFIG_ENV} must be a JSON object`]);
  const full = parseServiceConfig({
    lit: parsed.lit,
    ownerKeySecret: 'runtime',
    delegation: parsed.delegation,
    session: parsed.session,
    policy: parsed.policy,
    api: { maxBodyBytes: parsed.maxBodyBytes },
    observability: { auditRetentionDays: parsed.auditRetentionDays },
  });
  return toRuntimeConfig(full);
}
