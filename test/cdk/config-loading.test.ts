import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildServiceApp } from '../../lib/app';
import { CONFIG_CONTEXT_KEY, ConfigFileError, loadConfigFromContext, readConfigFile } from '../../lib/load-config';
import { validateDeployable } from '../../lib/deploy-checks';
import { minimumRefreshMarginSeconds } from '../../lib/refresh-schedule';
import { ConfigNotDeployableError, EnvironmentTooLargeError } from '../../lib/service-function';
import { CUSTOM_CONFIG, EXAMPLE_CONFIG, exampleConfig, readJson } from './helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lss-cdk-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function failure(fn: () => unknown): ConfigFileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigFileError);
    return e as ConfigFileError;
  }
  throw new Error('expected a ConfigFileError');
}

describe('config file loading', () => {
  it('accepts both shipped configs', () => {
    expect(readConfigFile(EXAMPLE_CONFIG).config.lit.network).toBe('datil-test');
    const custom = readConfigFile(CUSTOM_CONFIG).config;
    expect(custom.lit.network).toBe('custom');
    expect(Object.keys(custom.lit.custom!.contracts)).toHaveLength(11);
  });

  it('ships an example with one caller pattern holding one PKP, and one admin', () => {
    const { config } = readConfigFile(EXAMPLE_CONFIG);
    const callers = config.policy.callers.filter((c) => !c.admin);
    expect(callers).toHaveLength(1);
    expect(callers[0].principal).toContain('*');
    expect(callers[0].pkps).toHaveLength(1);
    expect(config.policy.callers.filter((c) => c.admin)).toHaveLength(1);
    expect(config.ownerKeySecret).toBe('lit-session-service/owner-key');
  });

  it('lists every problem of an invalid file, each with its path, and names the file', () => {
    const raw = readJson(EXAMPLE_CONFIG);
    raw.lit.network = 'mainnet';
    delete raw.delegation.capacityTokenId;
    raw.api.throttleRateLimit = -1;
    const file = write('invalid.json', raw);
    const e = failure(() => readConfigFile(file));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.file).toBe(file);
    expect(e.message).toContain(file);
    expect(e.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^lit\.network: must be one of/),
        'delegation.capacityTokenId: is required',
        expect.stringMatching(/^api\.throttleRateLimit: must be a whole number/),
      ]),
    );
    for (const p of e.problems) expect(e.message).toContain(p);
  });

  it('names the file when it is missing or not JSON', () => {
    const missing = path.join(dir, 'nope.json');
    const e1 = failure(() => readConfigFile(missing));
    expect(e1.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(e1.message).toContain(missing);
    expect(e1.message).toContain('ENOENT');

    const broken = write('broken.json', '{ "lit": ');
    const e2 = failure(() => readConfigFile(broken));
    expect(e2.code).toBe('CONFIG_FILE_NOT_JSON');
    expect(e2.message).toContain(broken);
  });

  it('reads the file named by context, relative to the base directory', () => {
    const app = new App({ context: { [CONFIG_CONTEXT_KEY]: 'config/service.json' } });
    const loaded = loadConfigFromContext(app.node, path.dirname(path.dirname(EXAMPLE_CONFIG)));
    expect(loaded.file).toBe(EXAMPLE_CONFIG);
  });

  it('says how to name a file when context names none', () => {
    const e = failure(() => loadConfigFromContext(new App().node));
    expect(e.code).toBe('CONFIG_PATH_MISSING');
    expect(e.message).toContain(CONFIG_CONTEXT_KEY);
  });

  it('stops the app before any stack exists when the file is invalid', () => {
    const file = write('no-secret.json', { ...readJson(EXAMPLE_CONFIG), ownerKeySecret: 'has spaces!' });
    const app = new App({ context: { [CONFIG_CONTEXT_KEY]: file, 'aws:cdk:bundling-stacks': [] } });
    const e = failure(() => buildServiceApp(app, { nag: false }));
    expect(e.message).toContain(file);
    expect(e.message).toContain('config.ownerKeySecret: must be a Secrets Manager secret name or ARN');
    expect(app.node.children).toHaveLength(0);
  });

  it('fails synth clearly when the runtime config would overflow the 4 KB Lambda environment', () => {
    const pkps = Array.from({ length: 40 }, (_, i) => '0x04' + i.toString(16).padStart(2, '0').repeat(64));
    const config = exampleConfig((raw) => (raw.policy.callers[0].pkps = pkps));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    let err: unknown;
    try {
      buildServiceApp(app, { config, nag: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvironmentTooLargeError);
    const e = err as EnvironmentTooLargeError;
    expect(e.code).toBe('LAMBDA_ENV_TOO_LARGE');
    expect(e.bytes).toBeGreaterThan(4096);
    expect(e.message).toMatch(/Function IssueSessionSigs: .* over Lambda's limit of 4096/);
    expect(e.message).toContain('policy.callers');
  });

  it('refuses a log retention CloudWatch Logs does not offer, naming the setting', () => {
    const config = exampleConfig((raw) => (raw.observability.logRetentionDays = 10));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    let err: unknown;
    try {
      buildServiceApp(app, { config, nag: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigNotDeployableError);
    expect((err as ConfigNotDeployableError).code).toBe('CONFIG_NOT_DEPLOYABLE');
    expect((err as Error).message).toMatch(/observability\.logRetentionDays: 10 is not a retention .* 7, 14, 30/);
  });
});

describe('validateDeployable: the checks synth makes, for `npm start -- --config` too', () => {
  const thrown = (fn: () => unknown): Error & { code?: string } => {
    try {
      fn();
    } catch (e) {
      return e as Error & { code?: string };
    }
    throw new Error('expected a throw');
  };

  const cases: [string, (raw: any) => void][] = [
    ['a log retention CloudWatch does not offer', (raw) => (raw.observability.logRetentionDays = 10)],
    ['a refresher schedule the delegation alarm cannot watch', (raw) => (raw.delegation.schedule = 'rate(13 hours)')],
    ['a refresh margin that does not cover the schedule (60 s with rate(1 hour))', (raw) => (raw.delegation.refreshMarginSeconds = 60)],
    [
      'a policy that overflows a function environment',
      (raw) => (raw.policy.callers[0].pkps = Array.from({ length: 40 }, (_, i) => '0x04' + i.toString(16).padStart(2, '0').repeat(64))),
    ],
  ];

  it.each(cases)('%s: validateDeployable throws what synth throws', (_name, edit) => {
    const config = exampleConfig(edit);
    const fromChecks = thrown(() => validateDeployable(config));
    const fromSynth = thrown(() => buildServiceApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), { config, nag: false }));
    expect(fromChecks.code).toMatch(/^(CONFIG_NOT_DEPLOYABLE|LAMBDA_ENV_TOO_LARGE)$/);
    expect({ name: fromChecks.name, code: fromChecks.code, message: fromChecks.message }).toEqual({
      name: fromSynth.name,
      code: fromSynth.code,
      message: fromSynth.message,
    });
  });

  it("the margin rule: longest gap + one run's retries (2 x 1800 s + the 120 s timeout) + the 60 s usable floor; the minimum passes, one second less does not", () => {
    expect(minimumRefreshMarginSeconds('rate(1 hour)')).toEqual({ minimum: 3600 + 3720 + 60, gap: 3600, retries: 3720, floor: 60 });
    expect(minimumRefreshMarginSeconds('cron(0 8-18 ? * MON-FRI *)').gap).toBe(62 * 3600);
    const at = (margin: number) => exampleConfig((raw) => ((raw.delegation.refreshMarginSeconds = margin), (raw.observability.delegationAlarmSeconds = 600)));
    expect(() => validateDeployable(at(7380))).not.toThrow();
    const refused = thrown(() => validateDeployable(at(7379)));
    expect(refused).toMatchObject({ code: 'CONFIG_NOT_DEPLOYABLE' });
    expect(refused.message).toMatch(
      /^delegation\.refreshMarginSeconds \(7379\) must be at least 7380 for 'rate\(1 hour\)': the longest gap between refresher runs \(3600 s\) \+ one run's retries \(3720 s/,
    );
    expect(refused.message).toContain('503 NO_VALID_DELEGATION');
  });

  it('passes the example configs, which synthesise', () => {
    expect(() => validateDeployable(exampleConfig(() => undefined))).not.toThrow();
  });
});
