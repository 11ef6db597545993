/**
 * The one configuration schema of the service. The CDK app validates it at synth time (so a bad
 * config never deploys) and hands the runtime part to every function as one JSON environment
 * variable, where the same parser reads it again. The local stack uses the same file.
 *
 * Each setting is declared once, below: its accepted values, its default and what it does. The
 * types are inferred from the schema, CONFIG_DEFAULTS is read from it, and README's
 * configuration reference is generated from it (`npm run docs:config`; a test fails when they
 * differ). zod/mini rather than zod: the same checks for about 25 KB of each bundle instead of about 450 KB.
 */
import * as z from 'zod/mini';
import { pathText, settled } from './schema-issues';

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

// ---------------------------------------------------------------------------------------------
// Shapes the settings are checked against.

const ETH_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** Uncompressed secp256k1 public key, as Lit names PKPs. */
export const PKP_PUBLIC_KEY = /^0x04[0-9a-fA-F]{128}$/;
const DECIMAL = /^[0-9]{1,78}$/;
const HTTP_URL = /^https?:\/\/.+/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const HTTPS_URL = /^https:\/\/\S+$/;

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

// ---------------------------------------------------------------------------------------------
// Setting builders. Each sets the setting's messages ("must be <accepts>"), its default and its
// doc (what README's reference shows), so none of them is written twice.

/** What README's reference says of a setting. */
export interface SettingDoc {
  /** What the setting does. */
  description: string;
  /** The values it takes, in the words its error message uses ("must be …"). */
  accepts: string;
  /** The description covers every key inside: the reference lists no row per key. */
  summarizesKeys?: boolean;
}

/** Every setting's doc, keyed by its schema (the outermost one: default or optional included). */
export const SETTING_DOCS = z.registry<SettingDoc>();

function documented<T extends z.core.$ZodType>(schema: T, doc: SettingDoc): T {
  SETTING_DOCS.add(schema, doc);
  return schema;
}

interface TextShape {
  pattern?: RegExp;
  /** What `pattern` means, for "must be <hint>". */
  hint?: string;
}

function textSchema({ pattern, hint }: TextShape = {}) {
  // abort: an empty string is reported as empty, not also as not matching the pattern.
  const schema = z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a non-empty string') })
    .check(z.minLength(1, { error: 'must be a non-empty string', abort: true }));
  return pattern ? schema.check(z.regex(pattern, `must be ${hint}`)) : schema;
}

const text = (description: string, shape: TextShape = {}) => documented(textSchema(shape), { description, accepts: shape.hint ?? 'a non-empty string' });
const optionalText = (description: string, shape: TextShape = {}) =>
  documented(z.optional(textSchema(shape)), { description, accepts: shape.hint ?? 'a non-empty string' });
const textOr = (fallback: string, description: string, shape: TextShape = {}) =>
  documented(z._default(textSchema(shape), fallback), { description, accepts: shape.hint ?? 'a non-empty string' });

function whole(min: number, max: number, fallback: number, description: string) {
  const accepts = `a whole number from ${min} to ${max}`;
  const error = `must be ${accepts}`;
  return documented(z._default(z.int({ error }).check(z.gte(min, { error }), z.lte(max, { error })), fallback), { description, accepts });
}

const flag = (fallback: boolean, description: string) =>
  documented(z._default(z.boolean({ error: 'must be true or false' }), fallback), { description, accepts: 'true or false' });

const choice = <const T extends readonly string[]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
  documented(choice(values), { description, accepts: `one of ${values.join(', ')}` });
const oneOfOr = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number], description: string) =>
  documented(z._default(choice(values), fallback as never), { description, accepts: `one of ${values.join(', ')}` });

/** An object of settings; a key it does not know is refused, each by name. */
function settings<S extends z.core.$ZodLooseShape>(shape: S, notAnObject = 'must be an object') {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown setting (known: ${known})` : notAnObject) });
}

/** A section of the file: absent, it reads as `{}`, so its settings take their defaults (and a required one is named). */
function section<S extends z.core.$ZodLooseShape>(shape: S, description: string, ...rules: z.core.$ZodCheck<z.output<z.ZodMiniObject<S>>>[]) {
  const object = settings(shape).check(...rules);
  return documented(z.prefault(object, {} as z.input<typeof object>), { description, accepts: 'an object' });
}

/**
 * A rule across fields: it runs as soon as `fields` are valid, whatever else in the file is not,
 * so one run lists every problem.
 */
function rule<T>(fields: PropertyKey[][], check: (value: T, payload: z.core.$RefinementCtx<T>) => void) {
  return z.superRefine<T>(check, { when: (payload) => settled(payload, ...fields) });
}

// ---------------------------------------------------------------------------------------------
// The schema.

const CUSTOM_NETWORK = settings({
  rpcUrl: text('JSON-RPC URL of the chain that holds the Lit contracts.', { pattern: HTTP_URL, hint: 'an http(s) URL' }),
  contracts: documented(
    // Absent, it reads as {}: each contract is then named as required.
    z.prefault(
      settings(
        Object.fromEntries(LIT_CONTRACT_NAMES.map((name) => [name, textSchema({ pattern: ETH_ADDRESS, hint: 'a 0x-prefixed 20-byte address' })])) as Record<
          LitContractName,
          ReturnType<typeof textSchema>
        >,
      ),
      {} as Record<LitContractName, string>,
    ),
    {
      description: `The address of each Lit contract on that chain, all ${LIT_CONTRACT_NAMES.length} (LitContracts needs every one): ${LIT_CONTRACT_NAMES.join(', ')}.`,
      accepts: 'an object of 0x-prefixed 20-byte addresses',
      summarizesKeys: true,
    },
  ),
  blockhashUrl: optionalText("Replaces the SDK's hard-coded public block indexer (`/get_most_recent_valid_block`).", {
    pattern: HTTP_URL,
    hint: 'an http(s) URL',
  }),
  nodeProtocol: documented(z.optional(choice(['http', 'https'] as const)), {
    description: 'How the nodes are reached; absent: http, as the SDK does for custom networks.',
    accepts: 'one of http, https',
  }),
});

const LIT = section(
  {
    network: oneOf(LIT_NETWORKS, 'The Lit network. A network running LIT-Protocol/Node v1 is `custom` (with `lit.custom`).'),
    custom: documented(z.optional(CUSTOM_NETWORK), {
      description: "Where a `custom` network's chain and contracts are; required with `custom`, refused otherwise.",
      accepts: 'an object',
    }),
    rpcUrl: optionalText("Overrides the chain RPC for named networks (absent: the SDK's Chronicle Yellowstone RPC).", {
      pattern: HTTP_URL,
      hint: 'an http(s) URL',
    }),
    connectTimeoutMs: whole(500, 60_000, 10_000, 'Per handshake attempt, in milliseconds.'),
    connectAttempts: whole(1, 10, 3, 'Connection attempts within one request before it answers `LIT_UNAVAILABLE`.'),
  },
  'The Lit network the service issues on.',
  rule([['network']], (lit, payload) => {
    if (lit.network === 'custom' && lit.custom === undefined)
      payload.addIssue({ code: 'custom', path: ['custom'], message: "is required when network is 'custom'" });
    if (lit.network !== 'custom' && lit.custom !== undefined)
      payload.addIssue({ code: 'custom', path: ['custom'], message: "is only used when network is 'custom'" });
  }),
);

const DELEGATION = section(
  {
    capacityTokenId: text("The owner's Capacity Credits NFT.", { pattern: DECIMAL, hint: 'a decimal token id, as a string' }),
    validitySeconds: whole(600, 30 * 86_400, 86_400, "Each new delegation's lifetime."),
    refreshMarginSeconds: whole(60, 30 * 86_400, 21_600, 'Refresh when less than this is left; must cover the schedule (see below).'),
    uses: optionalText('Uses per delegation; absent: unlimited (the SDK default).', { pattern: DECIMAL, hint: 'a decimal count, as a string' }),
    delegatees: oneOfOr(
      ['policy-pkps', 'unrestricted'] as const,
      'policy-pkps',
      "`policy-pkps`: the delegation names the ETH address of every PKP in the caller policy. `unrestricted`: any PKP may use it (needed for `pkps: ['*']`).",
    ),
    schedule: textOr('rate(1 hour)', "The refresher's EventBridge Scheduler expression (cron in UTC); runs at most 12 h apart.", {
      pattern: SCHEDULE,
      hint: "'rate(1 minute|hour|day)', 'rate(N minutes|hours|days)' with N > 1, or 'cron(...)'",
    }),
  },
  'The capacity delegation the service signs and keeps fresh.',
  rule([['refreshMarginSeconds'], ['validitySeconds']], (d, payload) => {
    if (d.refreshMarginSeconds >= d.validitySeconds)
      payload.addIssue({ code: 'custom', path: ['refreshMarginSeconds'], message: 'must be less than delegation.validitySeconds, or every run would refresh' });
  }),
);

const PKP_ENTRY = "must be an uncompressed PKP public key (0x04 + 128 hex) or '*'";
const CID_ENTRY = "must be an IPFS CIDv0 (Qm + 44 base58 characters, as Lit nodes name actions) or '*'";
const ALLOWED_CIDS = "must be a non-empty list of IPFS CIDv0s or '*' (leave litActions out to allow no action)";

const ABILITY_GRANT = settings({ resource: choice(RESOURCE_KINDS), ability: choice(ABILITIES) }).check(
  rule<{ resource: ResourceKind; ability: Ability }>([['resource'], ['ability']], (a, payload) => {
    if (!ABILITIES_BY_RESOURCE[a.resource].includes(a.ability))
      payload.addIssue({ code: 'custom', path: [], message: `ability '${a.ability}' does not apply to resource '${a.resource}'` });
  }),
);

const LIT_ACTIONS = settings(
  {
    allowedCids: documented(
      z
        .array(z.string({ error: CID_ENTRY }).check(z.refine((cid) => cid === '*' || isCidV0(cid), CID_ENTRY)), { error: ALLOWED_CIDS })
        .check(z.minLength(1, ALLOWED_CIDS)),
      {
        description:
          "The actions allowed, by IPFS CIDv0 (`Qm` + 44 base58 characters, as Lit nodes name them); `'*'`: any action the PKP itself permits on chain.",
        accepts: "a non-empty list of CIDv0s or '*'",
      },
    ),
    allowInlineCode: flag(
      false,
      'May the caller send the code itself (`litActionCode`)? Its CID must still be allowed: inline code is code nobody reviewed, run under this capacity delegation.',
    ),
  },
  'must be an object { allowedCids, allowInlineCode }',
);

const CALLER = settings({
  principal: documented(textSchema().check(z.refine((p) => p !== '*', "must not be '*' alone: name an ARN or an ARN pattern")), {
    description:
      'The IAM principal ARN API Gateway reports, or a pattern where `*` matches any run of characters (`arn:aws:sts::123456789012:assumed-role/app-*`).',
    accepts: "an ARN or an ARN pattern, not '*' alone",
  }),
  pkps: documented(
    z._default(
      z.array(
        z.string({ error: PKP_ENTRY }).check(
          z.refine((k) => k === '*' || PKP_PUBLIC_KEY.test(k), PKP_ENTRY),
          z.toLowerCase(),
        ),
        { error: 'must be a list of PKP public keys' },
      ),
      () => [],
    ),
    {
      description: "PKPs this caller may get session sigs for, by uncompressed public key (`0x04…`); `'*'`: any (needs `delegation.delegatees: unrestricted`).",
      accepts: "a list of PKP public keys (0x04 + 128 hex) or '*'",
    },
  ),
  abilities: documented(
    z._default(z.array(ABILITY_GRANT, { error: 'must be a list' }), () => []),
    {
      description:
        "Resource kinds and abilities this caller may request: `pkp` / `pkp-signing`, `lit-action` / `lit-action-execution` (needs `pkps: ['*']`), `access-control-condition` / `access-control-condition-decryption` or `-signing`, `rate-limit-increase` / `rate-limit-increase-auth`.",
      accepts: 'a list of { resource, ability }',
      summarizesKeys: true,
    },
  ),
  allowWildcardResources: flag(false, 'May the caller ask for resource id `*`?'),
  allowCallerAuthMethods: flag(false, "May the caller send its own `authMethods` instead of the owner's?"),
  maxExpirationSeconds: whole(60, 7 * 24 * 3600, 3600, 'The longest session-sig lifetime this caller may ask for.'),
  overMaxExpiration: oneOfOr(['refuse', 'clamp'] as const, 'refuse', 'What a request above the maximum gets: refused, or shortened to it.'),
  rateLimitPerMinute: whole(1, 1_000_000, 60, 'Requests per minute (issuance and admin actions share the counter).'),
  admin: flag(false, 'May the caller refresh the delegation and list and mint PKPs?'),
  litActions: documented(z.optional(LIT_ACTIONS), {
    description: 'Which Lit Actions the caller may authenticate with (`litActionIpfsId` / `litActionCode`); absent: none (default deny).',
    accepts: 'an object',
  }),
}).check(
  // On Lit a session is not bound to one PKP: an action run with it may sign with any PKP whose
  // permissions the owner's auth passes (every PKP the owner holds), so this ability cannot be
  // confined to the caller's PKPs.
  rule<{ pkps: string[]; abilities: AbilityGrant[] }>([['pkps'], ['abilities']], (c, payload) => {
    const actionGrant = c.abilities.findIndex((a) => a.ability === 'lit-action-execution');
    if (actionGrant >= 0 && !c.pkps.includes('*'))
      payload.addIssue({
        code: 'custom',
        path: ['abilities', actionGrant],
        message: "'lit-action-execution' needs pkps ['*']: on Lit, an action run with these session sigs can sign with every PKP the owner holds",
      });
  }),
);

const POLICY = section(
  {
    callers: documented(
      z.array(CALLER, { error: 'must be a list (an empty list denies everyone)' }).check(
        z.superRefine(
          (callers, payload) => {
            const seen = new Set<string>();
            callers.forEach((c, i) => {
              if (!settled(payload, [i, 'principal'])) return;
              if (seen.has(c.principal)) payload.addIssue({ code: 'custom', path: [i, 'principal'], message: `'${c.principal}' is listed twice` });
              seen.add(c.principal);
            });
          },
          // Each principal is judged on its own: one bad entry does not hide another's duplicate.
          { when: (payload) => Array.isArray(payload.value) },
        ),
      ),
      {
        description:
          'Who may call, and for what (default deny). An exact principal ARN wins; otherwise the `*` pattern with the most literal characters; entries never combine.',
        accepts: 'a list of caller entries (an empty list denies everyone)',
      },
    ),
  },
  'The caller policy.',
);

const ALARM_SUBSCRIPTION = settings({
  protocol: oneOf(['email', 'https'] as const, 'How the alarm topic delivers.'),
  endpoint: text('An e-mail address (confirmed by a link SNS mails) or an https:// URL.'),
}).check(
  rule<{ protocol: 'email' | 'https'; endpoint: string }>([['protocol'], ['endpoint']], (s, payload) => {
    // The endpoint's shape depends on the protocol: with an unknown protocol only its presence is checked.
    if (s.protocol === 'email' && !EMAIL.test(s.endpoint)) payload.addIssue({ code: 'custom', path: ['endpoint'], message: 'must be an e-mail address' });
    if (s.protocol === 'https' && !HTTPS_URL.test(s.endpoint)) payload.addIssue({ code: 'custom', path: ['endpoint'], message: 'must be an https:// URL' });
  }),
);

const SERVICE_CONFIG = settings({
  $schema: documented(z.optional(z.unknown()), { description: 'For editors; ignored.', accepts: 'anything' }),
  serviceName: textOr('lit-session-service', 'Prefix of stack and resource names.', {
    pattern: /^[A-Za-z][A-Za-z0-9-]{0,39}$/,
    hint: 'letters, digits and dashes, starting with a letter, at most 40 characters',
  }),
  lit: LIT,
  ownerKeySecret: text("Name or ARN of the Secrets Manager secret that holds the owner's Ethereum private key; never created by the stack.", {
    pattern: /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/,
    hint: 'a Secrets Manager secret name or ARN',
  }),
  ownerKeySecretKmsKeyArn: optionalText(
    'The customer-managed KMS key the secret is encrypted with; the functions that read the secret get kms:Decrypt on it, via Secrets Manager only. Absent: the AWS managed key.',
    { pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-fA-F-]{36}$/, hint: 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)' },
  ),
  ownerKeySecretPolicy: oneOfOr(
    ['managed', 'external'] as const,
    'managed',
    "`managed`: the stack attaches a resource policy to the secret that denies GetSecretValue to all but the signing functions' roles and the break-glass role (the secret must exist, in this account and region, before deploy). `external`: you manage the secret's policy (a secret in another account).",
  ),
  ownerKeyBreakGlassRoleArn: optionalText('An IAM role that may still read the owner key under the `managed` policy (recovery, rotation).', {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/,
    hint: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  }),
  delegation: DELEGATION,
  session: section({ defaultExpirationSeconds: whole(60, 7 * 24 * 3600, 600, 'Session-sig lifetime when a request names no `expiration`.') }, 'Session sigs.'),
  policy: POLICY,
  api: section(
    {
      throttleRateLimit: whole(
        1,
        10_000,
        50,
        'Steady requests per second for EACH route (a stage applies its default route settings per route): the API takes up to the sum.',
      ),
      throttleBurstLimit: whole(1, 5_000, 100, 'Burst for each route.'),
      adminThrottleRateLimit: whole(1, 10_000, 1, 'Requests per second of each admin route (refresh, list and mint PKPs), which sign or mint.'),
      adminThrottleBurstLimit: whole(1, 5_000, 5, 'Burst of each admin route.'),
      maxBodyBytes: whole(1_024, 1_048_576, 16_384, 'The largest request body accepted (inline Lit Action code included).'),
    },
    'The HTTP API.',
  ),
  observability: section(
    {
      logRetentionDays: whole(1, 3653, 30, 'CloudWatch Logs retention of every function and the access log (one of the values CloudWatch Logs offers).'),
      auditRetentionDays: whole(1, 3653, 90, 'How long audit records are kept (DynamoDB TTL).'),
      delegationAlarmSeconds: whole(
        60,
        30 * 86_400,
        3600,
        'Alarm when the delegation has less than this left; must be below `delegation.refreshMarginSeconds`.',
      ),
      capacityAlarmDays: whole(1, 365, 7, 'Alarm this long before the capacity NFT expires.'),
      alarmSubscriptions: documented(
        z._default(z.array(ALARM_SUBSCRIPTION, { error: 'must be a list of { protocol, endpoint }' }), () => []),
        {
          description: 'Subscriptions the stack adds to the alarm topic; none: subscribe by hand (Operations, below).',
          accepts: 'a list of { protocol, endpoint }',
        },
      ),
    },
    'Logs, audit records and alarms.',
  ),
  reservedConcurrency: section(
    { refresher: whole(0, 100, 2, 'Executions reserved for the delegation refresher, so a burst of issuance cannot starve it; 0 reserves none.') },
    'Reserved Lambda concurrency.',
  ),
}).check(
  rule<{ ownerKeySecretPolicy: string; ownerKeyBreakGlassRoleArn?: string }>([['ownerKeySecretPolicy'], ['ownerKeyBreakGlassRoleArn']], (c, payload) => {
    if (c.ownerKeyBreakGlassRoleArn !== undefined && c.ownerKeySecretPolicy === 'external')
      payload.addIssue({ code: 'custom', path: ['ownerKeyBreakGlassRoleArn'], message: "is only used when ownerKeySecretPolicy is 'managed'" });
  }),
  z.superRefine<{ delegation: { delegatees: string }; policy: { callers: { pkps: string[] }[] } }>(
    (c, payload) => {
      c.policy.callers.forEach((caller, i) => {
        if (settled(payload, ['policy', 'callers', i, 'pkps']) && caller.pkps.includes('*') && c.delegation.delegatees === 'policy-pkps')
          payload.addIssue({
            code: 'custom',
            path: ['policy', 'callers', i, 'pkps'],
            message: "'*' needs delegation.delegatees 'unrestricted' (a restricted delegation cannot name every PKP)",
          });
      });
    },
    // Each entry's pkps are judged on their own: one bad entry does not hide another's problem.
    { when: (payload) => settled(payload, ['delegation', 'delegatees']) && callersList(payload.value) },
  ),
);

/** Whether `config.policy.callers` is a list (its entries may still be wrong). */
function callersList(config: unknown): boolean {
  const policy = (config as { policy?: unknown } | undefined)?.policy;
  return Array.isArray((policy as { callers?: unknown } | undefined)?.callers);
}

/** The schema of the config file, for README's reference (lib/config-reference.ts). */
export const SERVICE_CONFIG_SCHEMA = SERVICE_CONFIG;

// ---------------------------------------------------------------------------------------------
// Types, read from the schema: the schema above says what each field means.

/** The whole file a user edits, defaults filled in. */
export type ServiceConfig = Omit<z.output<typeof SERVICE_CONFIG>, '$schema'>;
export type LitConfig = ServiceConfig['lit'];
export type CustomNetworkConfig = NonNullable<LitConfig['custom']>;
export type DelegationConfig = ServiceConfig['delegation'];
export type SessionConfig = ServiceConfig['session'];
export type PolicyConfig = ServiceConfig['policy'];
export type CallerPolicy = PolicyConfig['callers'][number];
export type AbilityGrant = { resource: ResourceKind; ability: Ability };
export type LitActionPolicy = NonNullable<CallerPolicy['litActions']>;
export type ApiConfig = ServiceConfig['api'];
export type ObservabilityConfig = ServiceConfig['observability'];
export type AlarmSubscription = ObservabilityConfig['alarmSubscriptions'][number];
export type ReservedConcurrencyConfig = ServiceConfig['reservedConcurrency'];

// ---------------------------------------------------------------------------------------------
// Defaults, read from the schema.

/** The defaulted settings of an object schema: a default's value, a section's own defaults. */
type DefaultsOf<S> =
  S extends z.ZodMiniPrefault<infer Inner>
    ? DefaultsOf<Inner>
    : S extends z.ZodMiniObject<infer Shape>
      ? {
          readonly [K in keyof Shape as Shape[K] extends z.ZodMiniDefault | z.ZodMiniPrefault ? K : never]: Shape[K] extends z.ZodMiniDefault<infer Inner>
            ? z.output<Inner>
            : DefaultsOf<Shape[K]>;
        }
      : never;

function defaultsOf(schema: z.core.$ZodType): Record<string, unknown> {
  const def = schema._zod.def as z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };
  if (def.type === 'prefault') return defaultsOf(def.innerType!);
  const defaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const fieldDef = field._zod.def as z.core.$ZodTypeDef & { defaultValue?: unknown; innerType?: z.core.$ZodType };
    if (fieldDef.type === 'default') defaults[key] = Object.freeze(fieldDef.defaultValue);
    else if (fieldDef.type === 'prefault') defaults[key] = Object.freeze(defaultsOf(fieldDef.innerType!));
  }
  return Object.freeze(defaults);
}

/**
 * Every default of the config, as the schema declares it: what a setting left out of the file
 * becomes. `caller` is one `policy.callers` entry's, `litActions` a caller's `litActions` object's.
 */
export const CONFIG_DEFAULTS = Object.freeze({
  ...(defaultsOf(SERVICE_CONFIG) as DefaultsOf<typeof SERVICE_CONFIG>),
  caller: defaultsOf(CALLER) as DefaultsOf<typeof CALLER>,
  litActions: defaultsOf(LIT_ACTIONS) as DefaultsOf<typeof LIT_ACTIONS>,
});

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

/**
 * The runtime config as SERVICE_CONFIG carries it: a caller's settings that equal their defaults
 * are left out (the functions parse it with the same schema and defaults, `readRuntimeConfig`), so
 * more callers fit in Lambda's 4 KB of environment variables.
 */
export function runtimeConfigJson(c: ServiceConfig): string {
  const runtime = toRuntimeConfig(c);
  const withoutDefaults = (value: object, defaults: object): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(value).filter(([k, v]) => !(k in defaults) || JSON.stringify(v) !== JSON.stringify((defaults as Record<string, unknown>)[k])),
    );
  return JSON.stringify({
    ...runtime,
    lit: withoutDefaults(runtime.lit, CONFIG_DEFAULTS.lit),
    delegation: withoutDefaults(runtime.delegation, CONFIG_DEFAULTS.delegation),
    session: withoutDefaults(runtime.session, CONFIG_DEFAULTS.session),
    policy: { ...runtime.policy, callers: runtime.policy.callers.map((caller) => withoutDefaults(caller, CONFIG_DEFAULTS.caller)) },
  });
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid lit-session-service config:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The file's sections: their settings are named from the section (`lit.network`), the file's own settings from `config` (`config.ownerKeySecret`). */
const SECTIONS = new Set(
  Object.keys(SERVICE_CONFIG.def.shape).filter((k) => SERVICE_CONFIG.def.shape[k as keyof typeof SERVICE_CONFIG.def.shape]._zod.def.type === 'prefault'),
);

function settingPath(path: readonly PropertyKey[]): string {
  return path.length > 0 && SECTIONS.has(String(path[0])) ? pathText(path) : pathText(['config', ...path]);
}

/** Each issue as `path: message`; an unknown setting once per key, by name (the file is the operator's own). */
function problemsOf(issues: readonly z.core.$ZodIssue[]): string[] {
  const problems = issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${settingPath([...issue.path, key])}: ${issue.message}`)
      : [`${settingPath(issue.path)}: ${issue.message}`],
  );
  return [...new Set(problems)];
}

/** Validates a parsed config object, fills defaults, and throws one ConfigError naming every problem. */
export function parseServiceConfig(raw: unknown): ServiceConfig {
  const result = SERVICE_CONFIG.safeParse(raw);
  if (!result.success) throw new ConfigError(problemsOf(result.error.issues));
  const { $schema: _ignored, ...config } = result.data;
  return config;
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
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
