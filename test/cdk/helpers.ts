/**
 * Builds the real app for template assertions. Bundling is skipped (context
 * `aws:cdk:bundling-stacks: []`) everywhere except the one bundling test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseServiceConfig, type ServiceConfig } from '../../functions/commons/config';
import { buildServiceApp, type BuildOptions, type ServiceApp } from '../../lib/app';
import { CONFIG_CONTEXT_KEY } from '../../lib/load-config';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const EXAMPLE_CONFIG = path.join(REPO_ROOT, 'config/service.json');
export const CUSTOM_CONFIG = path.join(REPO_ROOT, 'config/example.custom-network.json');

export function readJson(file: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** cdk.json's context (feature flags), so tests build the app exactly as `cdk synth` does. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = readJson(path.join(REPO_ROOT, 'cdk.json')).context;

/** The example config, parsed, with optional edits to the raw JSON first. */
export function exampleConfig(edit?: (raw: Record<string, any>) => void, file = EXAMPLE_CONFIG): ServiceConfig {
  const raw = readJson(file);
  edit?.(raw);
  return parseServiceConfig(raw);
}

export interface Built extends ServiceApp {
  stateful$: Template;
  service$: Template;
}

/** The app as `cdk synth` builds it, from the file named by context unless `options.config` is set. */
export function buildApp(options: BuildOptions & { configFile?: string } = {}): Built {
  const app = new App({
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], [CONFIG_CONTEXT_KEY]: options.configFile ?? EXAMPLE_CONFIG },
  });
  const built = buildServiceApp(app, { nag: false, ...options });
  return { ...built, stateful$: Template.fromStack(built.stateful), service$: Template.fromStack(built.service) };
}

type Resources = Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

/** Logical id of the Lambda function made for FunctionDef `id`. */
export function functionLogicalId(t: Template, id: string): string {
  const fns = t.findResources('AWS::Lambda::Function') as Resources;
  const hits = Object.keys(fns).filter((k) => k.startsWith(`${id}Function`));
  if (hits.length !== 1) throw new Error(`expected one function for ${id}, found ${hits.join(', ') || 'none'}`);
  return hits[0];
}

/** Every IAM action granted to the execution role of function `id`, over all its policies. */
export function actionsOfFunction(t: Template, id: string): string[] {
  const fn = (t.findResources('AWS::Lambda::Function') as Resources)[functionLogicalId(t, id)];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = t.findResources('AWS::IAM::Policy') as Resources;
  const actions: string[] = [];
  for (const p of Object.values(policies)) {
    if (!p.Properties.Roles.some((r: any) => r.Ref === roleId)) continue;
    for (const s of p.Properties.PolicyDocument.Statement) actions.push(...[s.Action].flat());
  }
  return actions;
}

/** The statements of function `id`'s policies that grant `action`. */
export function statementsGranting(t: Template, id: string, action: string): any[] {
  const fn = (t.findResources('AWS::Lambda::Function') as Resources)[functionLogicalId(t, id)];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const out: any[] = [];
  for (const p of Object.values(t.findResources('AWS::IAM::Policy') as Resources)) {
    if (!p.Properties.Roles.some((r: any) => r.Ref === roleId)) continue;
    for (const s of p.Properties.PolicyDocument.Statement) if ([s.Action].flat().includes(action)) out.push(s);
  }
  return out;
}
