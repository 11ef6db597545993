/**
 * cdk-nag (v3, AwsSolutions) runs as a CDK validation plugin: synth fails on any unacknowledged
 * finding. These tests synthesize in-process and read the validation report CDK writes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildServiceApp } from '../../lib/app';
import { CONFIG_CONTEXT_KEY } from '../../lib/load-config';
import { CDK_JSON_CONTEXT, CUSTOM_CONFIG, EXAMPLE_CONFIG } from './helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lss-cdk-nag-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function newApp(configFile: string, name: string): App {
  return new App({
    outdir: path.join(dir, name),
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], [CONFIG_CONTEXT_KEY]: configFile },
  });
}

interface Report {
  pluginReports: { pluginName: string; violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
}
const readReport = (app: App): Report => JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
const findings = (r: Report) =>
  r.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`)));

interface Ack {
  path: string;
  id: string;
  reason: string;
}

/** Every acknowledgement recorded in the construct tree. */
function acknowledgements(root: IConstruct): Ack[] {
  const out: Ack[] = [];
  for (const c of root.node.findAll())
    for (const m of c.node.metadata)
      if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        for (const [id, reason] of Object.entries(m.data as Record<string, string>))
          out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
  return out;
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['example config', EXAMPLE_CONFIG],
    ['custom-network config', CUSTOM_CONFIG],
  ])('synthesizes the %s with zero unacknowledged findings', (name, file) => {
    const app = newApp(file, name.replace(/\W/g, '-'));
    buildServiceApp(app);
    expect(() => app.synth()).not.toThrow();
    expect(findings(readReport(app))).toEqual([]);
    // The same, asked of the pack directly.
    const direct = new AwsSolutionsChecks().validateScope(app);
    expect(direct.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('is wired so that a finding fails synth (a deliberately unencrypted queue)', () => {
    const app = newApp(EXAMPLE_CONFIG, 'bad');
    const { service } = buildServiceApp(app);
    new sqs.Queue(service, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
    expect(findings(readReport(app))).toEqual(
      expect.arrayContaining([
        'AwsSolutions-SQS2 lit-session-service-service/Unencrypted/Resource',
        'AwsSolutions-SQS4 lit-session-service-service/Unencrypted/Resource',
      ]),
    );
  });

  it('acknowledges only rules that fire, each with a specific reason', () => {
    const app = newApp(EXAMPLE_CONFIG, 'acks');
    buildServiceApp(app, { nag: false });
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.id).toMatch(/^AwsSolutions-/);
      expect(a.reason.length).toBeGreaterThanOrEqual(60);
    }
    // Drop every acknowledgement and run the pack again: each acknowledged id must now be reported
    // on the construct (or below it) that acknowledged it.
    for (const c of app.node.findAll()) {
      const meta = (c.node as unknown as { _metadata?: { type: string }[] })._metadata;
      if (meta) for (let i = meta.length - 1; i >= 0; i--) if (meta[i].type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) meta.splice(i, 1);
    }
    expect(acknowledgements(app)).toEqual([]);
    const raw = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })));
    const unused = acks.filter((a) => !raw.some((f) => f.rule === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))));
    expect(unused).toEqual([]);
    // And nothing is reported that no acknowledgement covers.
    const uncovered = raw.filter((f) => !acks.some((a) => f.rule === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))));
    expect(uncovered).toEqual([]);
  });
});
