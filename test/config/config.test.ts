import {
  ConfigError,
  LIT_CONTRACT_NAMES,
  parseServiceConfig,
  readRuntimeConfig,
  RUNTIME_CONFIG_ENV,
  runtimeConfigJson,
  toRuntimeConfig,
} from '../../functions/commons/config';

const PKP = '0x04' + 'ab'.repeat(64);

function validConfig(): Record<string, any> {
  return {
    lit: { network: 'datil-test' },
    ownerKeySecret: 'lit-session-service/owner-key',
    delegation: { capacityTokenId: '42' },
    policy: {
      callers: [
        {
          principal: 'arn:aws:sts::123456789012:assumed-role/app-*',
          pkps: [PKP],
          abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
        },
      ],
    },
  };
}

function problemsOf(raw: unknown): string[] {
  try {
    parseServiceConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('service config', () => {
  it('fills secure defaults for everything a user leaves out', () => {
    const c = parseServiceConfig(validConfig());
    expect(c.serviceName).toBe('lit-session-service');
    expect(c.lit).toMatchObject({ network: 'datil-test', connectTimeoutMs: 10_000, connectAttempts: 3 });
    expect(c.delegation).toMatchObject({ validitySeconds: 86_400, refreshMarginSeconds: 21_600, delegatees: 'policy-pkps', schedule: 'rate(1 hour)' });
    expect(c.policy.callers[0]).toMatchObject({
      allowWildcardResources: false,
      allowCallerAuthMethods: false,
      overMaxExpiration: 'refuse',
      admin: false,
      maxExpirationSeconds: 3600,
    });
  });

  it('lists every problem at once, each with its path', () => {
    const raw = validConfig();
    raw.lit.network = 'mainnet';
    raw.delegation.capacityTokenId = 'abc';
    raw.policy.callers[0].pkps = ['0x1234'];
    raw.policy.callers[0].abilities = [{ resource: 'pkp', ability: 'lit-action-execution' }];
    raw.unexpected = true;
    const problems = problemsOf(raw);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^lit\.network: must be one of datil-dev, datil-test, datil, custom/),
        expect.stringMatching(/^delegation\.capacityTokenId: must be a decimal token id/),
        expect.stringMatching(/^policy\.callers\[0\]\.pkps\[0\]: must be an uncompressed PKP public key/),
        expect.stringMatching(/^policy\.callers\[0\]\.abilities\[0\]: ability 'lit-action-execution' does not apply to resource 'pkp'/),
        expect.stringMatching(/^config\.unexpected: unknown setting/),
      ]),
    );
  });

  it("refuses 'lit-action-execution' for a caller limited to some PKPs (on Lit an action can sign with every PKP the owner holds)", () => {
    const raw = validConfig();
    raw.policy.callers[0].abilities.push({ resource: 'lit-action', ability: 'lit-action-execution' });
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^policy\.callers\[0\]\.abilities\[1\]: 'lit-action-execution' needs pkps \['\*'\]/)]);
    raw.policy.callers[0].pkps = ['*'];
    raw.delegation.delegatees = 'unrestricted';
    expect(() => parseServiceConfig(raw)).not.toThrow();
  });

  it("requires every contract address for a 'custom' network", () => {
    const raw = validConfig();
    raw.lit = { network: 'custom', custom: { rpcUrl: 'http://127.0.0.1:8545', contracts: { Staking: '0x' + '11'.repeat(20) } } };
    const problems = problemsOf(raw);
    for (const name of LIT_CONTRACT_NAMES.filter((n) => n !== 'Staking')) {
      expect(problems).toContain(`lit.custom.contracts.${name}: is required`);
    }
    expect(problems.some((p) => p.startsWith('lit.custom.contracts.Staking:'))).toBe(false);
  });

  it('refuses a bare * principal and a duplicate principal', () => {
    const raw = validConfig();
    raw.policy.callers.push({ ...raw.policy.callers[0] }, { principal: '*', pkps: [PKP], abilities: [] });
    const problems = problemsOf(raw);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^policy\.callers\[1\]\.principal: .* is listed twice/),
        expect.stringMatching(/^policy\.callers\[2\]\.principal: must not be '\*' alone/),
      ]),
    );
  });

  it("refuses '*' PKPs unless the delegation is unrestricted", () => {
    const raw = validConfig();
    raw.policy.callers[0].pkps = ['*'];
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^policy\.callers\[0\]\.pkps: '\*' needs delegation\.delegatees 'unrestricted'/)]);
    raw.delegation.delegatees = 'unrestricted';
    expect(parseServiceConfig(raw).policy.callers[0].pkps).toEqual(['*']);
  });

  it('refuses a refresh margin as long as the validity', () => {
    const raw = validConfig();
    raw.delegation.validitySeconds = 3600;
    raw.delegation.refreshMarginSeconds = 3600;
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^delegation\.refreshMarginSeconds: must be less than/)]);
  });

  it('denies everyone with an empty caller list but needs the list to exist', () => {
    const raw = validConfig();
    raw.policy.callers = [];
    expect(parseServiceConfig(raw).policy.callers).toEqual([]);
    delete raw.policy.callers;
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^policy\.callers: must be a list/)]);
  });

  it('round-trips the runtime part through the environment and validates it again there', () => {
    const c = parseServiceConfig(validConfig());
    const env = { [RUNTIME_CONFIG_ENV]: JSON.stringify(toRuntimeConfig(c)) };
    expect(readRuntimeConfig(env)).toEqual(toRuntimeConfig(c));

    const tampered = { ...toRuntimeConfig(c), policy: { callers: [{ principal: '*', pkps: [], abilities: [] }] } };
    expect(() => readRuntimeConfig({ [RUNTIME_CONFIG_ENV]: JSON.stringify(tampered) })).toThrow(ConfigError);
    expect(() => readRuntimeConfig({})).toThrow(/SERVICE_CONFIG is not set/);
    expect(() => readRuntimeConfig({ [RUNTIME_CONFIG_ENV]: '{nope' })).toThrow(/not valid JSON/);
  });

  it('SERVICE_CONFIG leaves out caller settings at their defaults, and the functions read back the same config', () => {
    const raw = validConfig();
    raw.policy.callers = Array.from({ length: 8 }, (_, i) => ({
      principal: `arn:aws:iam::123456789012:user/c${i}`,
      pkps: [PKP],
      abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
    }));
    const c = parseServiceConfig(raw);
    const compact = runtimeConfigJson(c);
    expect(readRuntimeConfig({ [RUNTIME_CONFIG_ENV]: compact })).toEqual(toRuntimeConfig(c));
    expect(compact.length).toBeLessThan(JSON.stringify(toRuntimeConfig(c)).length - 8 * 100); // each caller's ~7 defaulted settings are gone
    expect(JSON.parse(compact).policy.callers[0]).toEqual({
      principal: 'arn:aws:iam::123456789012:user/c0',
      pkps: [PKP],
      abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
    });
  });

  it('normalises PKP public keys to lower case so policy lookups are exact', () => {
    const raw = validConfig();
    raw.policy.callers[0].pkps = ['0x04' + 'AB'.repeat(64)];
    expect(parseServiceConfig(raw).policy.callers[0].pkps).toEqual([PKP]);
  });

  it('takes an optional KMS key ARN for the owner-key secret and refuses anything else', () => {
    const raw = validConfig();
    expect(parseServiceConfig(raw).ownerKeySecretKmsKeyArn).toBeUndefined();
    raw.ownerKeySecretKmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(parseServiceConfig(raw).ownerKeySecretKmsKeyArn).toBe(raw.ownerKeySecretKmsKeyArn);
    raw.ownerKeySecretKmsKeyArn = 'alias/my-key';
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^config\.ownerKeySecretKmsKeyArn: must be a KMS key ARN/)]);
  });

  it('takes alarm subscriptions (e-mail or https), none by default, and refuses anything else', () => {
    const raw = validConfig();
    expect(parseServiceConfig(raw).observability.alarmSubscriptions).toEqual([]);
    raw.observability = {
      alarmSubscriptions: [
        { protocol: 'email', endpoint: 'oncall@example.com' },
        { protocol: 'https', endpoint: 'https://hooks.example.com/x' },
      ],
    };
    expect(parseServiceConfig(raw).observability.alarmSubscriptions).toHaveLength(2);
    raw.observability = {
      alarmSubscriptions: [
        { protocol: 'sms', endpoint: '+1555' },
        { protocol: 'email', endpoint: 'not-an-address' },
        { protocol: 'https', endpoint: 'http://plain.example.com' },
      ],
    };
    expect(problemsOf(raw)).toEqual([
      expect.stringMatching(/^observability\.alarmSubscriptions\[0\]\.protocol: must be one of email, https/),
      expect.stringMatching(/^observability\.alarmSubscriptions\[1\]\.endpoint: must be an e-mail address/),
      expect.stringMatching(/^observability\.alarmSubscriptions\[2\]\.endpoint: must be an https:\/\/ URL/),
    ]);
  });

  it('manages the owner-key secret policy by default, takes a break-glass role ARN, and refuses one with an external policy', () => {
    const raw = validConfig();
    expect(parseServiceConfig(raw).ownerKeySecretPolicy).toBe('managed');
    expect(parseServiceConfig(raw).ownerKeyBreakGlassRoleArn).toBeUndefined();
    raw.ownerKeyBreakGlassRoleArn = 'arn:aws:iam::123456789012:role/ops/break-glass';
    expect(parseServiceConfig(raw).ownerKeyBreakGlassRoleArn).toBe(raw.ownerKeyBreakGlassRoleArn);
    raw.ownerKeySecretPolicy = 'external';
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^config\.ownerKeyBreakGlassRoleArn: is only used when ownerKeySecretPolicy is 'managed'/)]);
    raw.ownerKeyBreakGlassRoleArn = 'arn:aws:iam::123456789012:user/bob';
    raw.ownerKeySecretPolicy = 'open';
    expect(problemsOf(raw)).toEqual([
      expect.stringMatching(/^config\.ownerKeySecretPolicy: must be one of managed, external/),
      expect.stringMatching(/^config\.ownerKeyBreakGlassRoleArn: must be an IAM role ARN/),
    ]);
  });
});

describe('policy litActions', () => {
  const CID = 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y';
  const withActions = (litActions: unknown) => {
    const raw = validConfig();
    raw.policy.callers[0].litActions = litActions;
    return raw;
  };

  it('is absent by default (no action allowed) and inline code is off unless enabled', () => {
    expect(parseServiceConfig(validConfig()).policy.callers[0]).not.toHaveProperty('litActions');
    expect(parseServiceConfig(withActions({ allowedCids: [CID] })).policy.callers[0].litActions).toEqual({ allowedCids: [CID], allowInlineCode: false });
    expect(parseServiceConfig(withActions({ allowedCids: ['*', CID], allowInlineCode: true })).policy.callers[0].litActions).toEqual({
      allowedCids: ['*', CID],
      allowInlineCode: true,
    });
  });

  it('names every bad entry with its path', () => {
    const cases: Array<[unknown, RegExp[]]> = [
      ['yes', [/^policy\.callers\[0\]\.litActions: must be an object/]],
      [{}, [/^policy\.callers\[0\]\.litActions\.allowedCids: must be a non-empty list/]],
      [{ allowedCids: [] }, [/^policy\.callers\[0\]\.litActions\.allowedCids: must be a non-empty list/]],
      [{ allowedCids: CID }, [/^policy\.callers\[0\]\.litActions\.allowedCids: must be a non-empty list/]],
      [
        { allowedCids: [CID, 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', 'Qm' + 'z'.repeat(44), 7], allowInlineCode: 'true', extra: 1 },
        [
          /^policy\.callers\[0\]\.litActions\.allowedCids\[1\]: must be an IPFS CIDv0/,
          /^policy\.callers\[0\]\.litActions\.allowedCids\[2\]: must be an IPFS CIDv0/,
          /^policy\.callers\[0\]\.litActions\.allowedCids\[3\]: must be an IPFS CIDv0/,
          /^policy\.callers\[0\]\.litActions\.allowInlineCode: must be true or false/,
          /^policy\.callers\[0\]\.litActions\.extra: unknown setting/,
        ],
      ],
    ];
    for (const [litActions, expected] of cases) {
      const problems = problemsOf(withActions(litActions));
      expect(problems).toHaveLength(expected.length);
      expect(problems).toEqual(expect.arrayContaining(expected.map((re) => expect.stringMatching(re))));
    }
  });

  it('survives the round trip through the function environment, where it is validated again', () => {
    const runtime = toRuntimeConfig(parseServiceConfig(withActions({ allowedCids: [CID], allowInlineCode: true })));
    const again = readRuntimeConfig({ [RUNTIME_CONFIG_ENV]: JSON.stringify(runtime) });
    expect(again.policy.callers[0].litActions).toEqual({ allowedCids: [CID], allowInlineCode: true });
    const tampered = JSON.parse(JSON.stringify(runtime));
    tampered.policy.callers[0].litActions.allowedCids = ['not-a-cid'];
    expect(() => readRuntimeConfig({ [RUNTIME_CONFIG_ENV]: JSON.stringify(tampered) })).toThrow(/allowedCids\[0\]: must be an IPFS CIDv0/);
  });
});
