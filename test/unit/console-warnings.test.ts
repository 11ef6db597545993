/**
 * The SDK's console.warn lines go through the logger as structured lines, at DEBUG for its
 * "not a problem" notices, and never carry secret-looking text or a foreign error's message.
 */
import { describeWarning, routeConsoleWarnings } from '../../functions/commons/console-warnings';

describe('console.warn routed through the logger', () => {
  const lines: [string, string, Record<string, unknown>][] = [];
  const logger = {
    warn: (m: string, extra: Record<string, unknown>) => void lines.push(['warn', m, extra]),
    debug: (m: string, extra: Record<string, unknown>) => void lines.push(['debug', m, extra]),
  };
  const realWarn = console.warn;

  beforeAll(() => routeConsoleWarnings(logger as never));
  afterAll(() => {
    console.warn = realWarn;
  });
  beforeEach(() => (lines.length = 0));

  it("the SDK's cache-miss notice becomes a DEBUG line, not plain text", () => {
    console.warn('Storage key "lit-wallet-sig" is missing. Not a problem. Continue...');
    expect(lines).toEqual([['debug', 'Storage key "lit-wallet-sig" is missing. Not a problem. Continue...', { origin: 'console.warn' }]]);
  });

  it('any other warning is a WARN line; other arguments are named by type, never printed', () => {
    const walletSig = '0x' + 'ab'.repeat(65);
    console.warn('Error parsing walletSig', new SyntaxError(`Unexpected token in JSON: "${walletSig}"`), { sig: walletSig });
    expect(lines).toEqual([['warn', 'Error parsing walletSig', { origin: 'console.warn', argumentTypes: ['SyntaxError', 'object'] }]]);
    expect(JSON.stringify(lines)).not.toContain('abab');
  });

  it('secret-looking runs in the message are redacted, and the message is bounded', () => {
    const key = '0x' + 'cd'.repeat(32);
    const { message } = describeWarning([`signing with ${key} and ${'QUJD'.repeat(12)} ${'x'.repeat(500)}`]);
    expect(message).not.toContain('cdcd');
    expect(message).not.toContain('QUJDQUJD');
    expect(message).toContain('[redacted]');
    expect(message.length).toBeLessThanOrEqual(201);
  });

  it('a warning without a string first argument keeps only the types', () => {
    console.warn(new Error('secret text'));
    expect(lines).toEqual([['warn', '(no message)', { origin: 'console.warn', argumentTypes: ['Error'] }]]);
  });
});
