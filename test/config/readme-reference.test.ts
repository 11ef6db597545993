/**
 * The config is declared once, in the schema: README's reference is written from it (`npm run
 * docs:config`), CONFIG_DEFAULTS is read from it, and the parser fills exactly those defaults.
 * These fail when any of them drifts from the others.
 */
import * as fs from 'node:fs';
import { CONFIG_DEFAULTS, parseServiceConfig } from '../../functions/commons/config';
import { README_FILE, REFERENCE_END, REFERENCE_START, renderConfigReference } from '../../lib/config-reference';

const readme = fs.readFileSync(README_FILE, 'utf8');

/** README's example of the settings one must give: the first ```json block of its Configuration section. */
function minimalExample(): unknown {
  const section = readme.slice(readme.indexOf('## Configuration'));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md: no json example in ## Configuration');
  return JSON.parse(block[1]);
}

describe("README's configuration reference", () => {
  it('is what `npm run docs:config` writes from the schema (run it after changing the schema)', () => {
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start, end + REFERENCE_END.length)).toBe(renderConfigReference());
  });

  it('shows every default of CONFIG_DEFAULTS in its row', () => {
    const reference = renderConfigReference();
    const row = (setting: string) => reference.split('\n').find((line) => line.startsWith(`| \`${setting}\` |`));
    const sections = Object.entries(CONFIG_DEFAULTS).filter(([key]) => key !== 'caller' && key !== 'litActions');
    const expected: [string, unknown][] = [
      ...sections.flatMap(([key, value]) =>
        typeof value === 'object' && !Array.isArray(value)
          ? Object.entries(value as object).map(([k, v]): [string, unknown] => [`${key}.${k}`, v])
          : [[key, value] as [string, unknown]],
      ),
      ...Object.entries(CONFIG_DEFAULTS.caller).map(([k, v]): [string, unknown] => [`policy.callers[].${k}`, v]),
      ...Object.entries(CONFIG_DEFAULTS.litActions).map(([k, v]): [string, unknown] => [`policy.callers[].litActions.${k}`, v]),
    ];
    expect(expected.length).toBeGreaterThan(20);
    for (const [setting, value] of expected) expect(row(setting)).toContain(` \`${JSON.stringify(value)}\` `);
  });

  it('parses its minimal example, and the parser fills in exactly CONFIG_DEFAULTS', () => {
    const config = parseServiceConfig(minimalExample());
    const { caller, litActions, ...file } = CONFIG_DEFAULTS;
    expect(config).toMatchObject(file);
    const given = config.policy.callers[0];
    expect({ ...given, principal: undefined, pkps: undefined, abilities: undefined }).toEqual({
      ...caller,
      principal: undefined,
      pkps: undefined,
      abilities: undefined,
    });
    const withActions = parseServiceConfig({
      ...(minimalExample() as object),
      policy: { callers: [{ principal: given.principal, litActions: { allowedCids: ['*'] } }] },
    });
    expect(withActions.policy.callers[0].litActions).toEqual({ allowedCids: ['*'], ...litActions });
  });
});
