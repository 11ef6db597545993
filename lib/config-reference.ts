/**
 * README's configuration reference, generated from the config schema (functions/commons/config.ts):
 * one row per setting with the values it takes, its default and what it does, as the schema
 * declares them. `npm run docs:config` rewrites the part of README.md between the markers;
 * test/config/readme-reference.test.ts fails when README.md differs from what it would write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as z from 'zod/mini';
import { SERVICE_CONFIG_SCHEMA, SETTING_DOCS } from '../functions/commons/config';

export const README_FILE = path.join(__dirname, '..', 'README.md');
export const REFERENCE_START =
  '<!-- config-reference: written by `npm run docs:config` from functions/commons/config.ts; change the schema, not this table -->';
export const REFERENCE_END = '<!-- /config-reference -->';

/** The parts of a schema's definition the reference reads. */
interface Def {
  type: string;
  innerType?: z.core.$ZodType;
  element?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  defaultValue?: unknown;
}
const defOf = (schema: z.core.$ZodType) => schema._zod.def as Def;

/** The schema inside a default, a section's `{}` or an optional. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = defOf(schema);
  return def.type === 'default' || def.type === 'prefault' || def.type === 'optional' ? unwrap(def.innerType!) : schema;
}

function defaultText(schema: z.core.$ZodType): string {
  const def = defOf(schema);
  if (def.type === 'default') return `\`${JSON.stringify(def.defaultValue)}\``;
  if (def.type === 'optional') return 'absent';
  if (def.type === 'prefault') return '';
  return '**required**';
}

/** Markdown table cells: a `|` would end the cell, a `<` start an HTML tag (`<region>`). */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;');

function rows(object: z.core.$ZodType, prefix: string): string[] {
  return Object.entries(defOf(object).shape ?? {}).flatMap(([key, field]) => {
    const setting = prefix ? `${prefix}.${key}` : key;
    const doc = SETTING_DOCS.get(field);
    if (!doc) throw new Error(`config setting ${setting} has no doc in the schema (functions/commons/config.ts)`);
    const row = `| \`${setting}\` | ${cell(doc.accepts)} | ${defaultText(field)} | ${cell(doc.description)} |`;
    if (doc.summarizesKeys) return [row];
    const inner = unwrap(field);
    const innerDef = defOf(inner);
    if (innerDef.type === 'object') return [row, ...rows(inner, setting)];
    if (innerDef.type === 'array' && defOf(unwrap(innerDef.element!)).type === 'object') return [row, ...rows(unwrap(innerDef.element!), `${setting}[]`)];
    return [row];
  });
}

/** The reference, markers included. */
export function renderConfigReference(): string {
  return [
    REFERENCE_START,
    '| setting | accepts | default | what it does |',
    '| --- | --- | --- | --- |',
    ...rows(SERVICE_CONFIG_SCHEMA, ''),
    REFERENCE_END,
  ].join('\n');
}

/** `readme` with its reference replaced by the current one; throws when the markers are missing. */
export function withConfigReference(readme: string): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no configuration reference markers (${REFERENCE_START} … ${REFERENCE_END})`);
  return readme.slice(0, start) + renderConfigReference() + readme.slice(end + REFERENCE_END.length);
}

if (require.main === module) {
  const before = fs.readFileSync(README_FILE, 'utf8');
  const after = withConfigReference(before);
  fs.writeFileSync(README_FILE, after);
  console.log(after === before ? 'README.md: configuration reference already current' : 'README.md: configuration reference rewritten from the schema');
}
