/**
 * SIWE (EIP-4361) messages as the real Lit node reads and writes them: with the grammar of the
 * `siwe` crate 0.5.2 it pins (spruceid/siwe-rs v0.5.2 src/lib.rs:159-246 parse, 78-109 Display),
 * which is stricter than the JS `siwe` package the SDK uses: lines split on `\n` only, an EIP-55
 * address, a nonce of at least 8 characters, the optional fields in a fixed order, nothing after
 * the resources (a trailing newline is "Unexpected Content"), RFC 3339 times.
 *
 * Written here rather than taken from the JS `siwe` package because that package accepts
 * messages the node refuses; the devnet must refuse them too.
 */

const PREAMBLE = ' wants you to sign in with your Ethereum account:';
const TAGS = {
  uri: 'URI: ',
  version: 'Version: ',
  chainId: 'Chain ID: ',
  nonce: 'Nonce: ',
  issuedAt: 'Issued At: ',
  expirationTime: 'Expiration Time: ',
  notBefore: 'Not Before: ',
  requestId: 'Request ID: ',
  resources: 'Resources:',
} as const;

export interface SiweFields {
  domain: string;
  /** EIP-55 as written in the message. */
  address: string;
  statement?: string;
  uri: string;
  version: string;
  chainId: string;
  nonce: string;
  /** Times keep their original text: the node re-serialises a message with them unchanged. */
  issuedAt: string;
  expirationTime?: string;
  notBefore?: string;
  requestId?: string;
  resources: string[];
}

/** A siwe-rs ParseError, with its Display text (what the node puts in `details`). */
export class SiweParseError extends Error {
  constructor(text: string) {
    super(text);
    this.name = 'SiweParseError';
  }
}

/** Milliseconds since epoch of an RFC 3339 date-time (the `time` crate's grammar), or undefined. Sub-ms digits are dropped. */
export function parseRfc3339(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return undefined;
  let ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Math.min(Number(s), 59)) + (frac ? Math.floor(Number(`0${frac}`) * 1000) : 0);
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const [zh, zm] = zone.slice(1).split(':').map(Number);
    if (zh > 23 || zm > 59) return undefined;
    ms -= sign * (zh * 60 + zm) * 60_000;
  }
  return ms;
}

/** EIP-55 checksum test, as siwe-rs `is_checksum`: `0x` + 40 hex whose case matches the checksum. */
function isChecksummed(address: string, toChecksum: (a: string) => string): boolean {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return false;
  try {
    return toChecksum(address) === address;
  } catch {
    return false;
  }
}

/** RFC 3986 URI, roughly as iri-string validates it: a scheme, then no whitespace or characters outside URI syntax. */
export function isUri(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/.test(text) && !/%(?![0-9A-Fa-f]{2})/.test(text);
}

/** Parse like siwe-rs `Message::from_str`; throws SiweParseError with its message. */
export function parseSiwe(text: string, toChecksum: (a: string) => string): SiweFields {
  const lines = text.split('\n');
  let i = 0;
  const next = (): string | undefined => lines[i++];
  const tagged = (tag: string, line: string | undefined): string => {
    if (line === undefined || !line.startsWith(tag)) throw new SiweParseError(`Formatting Error: ${tag}`);
    return line.slice(tag.length);
  };

  const preamble = next();
  if (preamble === undefined || !preamble.endsWith(PREAMBLE)) throw new SiweParseError('Formatting Error: Missing Preamble Line');
  const domain = preamble.slice(0, -PREAMBLE.length);
  if (domain.length === 0 || /[\s/?#@]/.test(domain.replace(/^[^@]*@/, ''))) throw new SiweParseError('Invalid Domain: invalid uri character');

  const address = tagged('0x', next());
  if (!isChecksummed(`0x${address}`, toChecksum)) throw new SiweParseError('Formatting Error: Address is not in EIP-55 format');

  next(); // the blank line (not checked by siwe-rs)
  const statementLine = next();
  if (statementLine === undefined) throw new SiweParseError('Formatting Error: No lines found after address');
  let statement: string | undefined;
  if (statementLine !== '') {
    statement = statementLine;
    next(); // the blank line after the statement (not checked either)
  }

  const uri = tagged(TAGS.uri, next());
  if (!isUri(uri)) throw new SiweParseError('Invalid URI: Invalid IRI');
  const version = tagged(TAGS.version, next());
  if (version !== '1') throw new SiweParseError('Formatting Error: Bad Version');
  const chainId = tagged(TAGS.chainId, next());
  if (!/^\d+$/.test(chainId) || BigInt(chainId) > 18446744073709551615n) throw new SiweParseError('invalid digit found in string');
  const nonce = tagged(TAGS.nonce, next());
  if (Buffer.byteLength(nonce) < 8) throw new SiweParseError('Formatting Error: Nonce must be longer than 8 characters');
  const issuedAt = tagged(TAGS.issuedAt, next());
  if (parseRfc3339(issuedAt) === undefined) throw new SiweParseError('Invalid Timestamp: the input contained an invalid value');

  let line = next();
  const optional = (tag: string): string | undefined => {
    if (line === undefined || !line.startsWith(tag)) return undefined;
    const value = line.slice(tag.length);
    line = next();
    return value;
  };
  const expirationTime = optional(TAGS.expirationTime);
  if (expirationTime !== undefined && parseRfc3339(expirationTime) === undefined)
    throw new SiweParseError('Invalid Timestamp: the input contained an invalid value');
  const notBefore = optional(TAGS.notBefore);
  if (notBefore !== undefined && parseRfc3339(notBefore) === undefined) throw new SiweParseError('Invalid Timestamp: the input contained an invalid value');
  const requestId = optional(TAGS.requestId);

  const resources: string[] = [];
  if (line === TAGS.resources) {
    for (let r = next(); r !== undefined; r = next()) {
      const resource = tagged('- ', r);
      if (!isUri(resource)) throw new SiweParseError('Invalid URI: Invalid IRI');
      resources.push(resource);
    }
  } else if (line !== undefined) {
    throw new SiweParseError('Formatting Error: Unexpected Content');
  }
  return { domain, address: `0x${address}`, statement, uri, version, chainId, nonce, issuedAt, expirationTime, notBefore, requestId, resources };
}

/** siwe-rs `Display`: the message text, no trailing newline. */
export function formatSiwe(m: SiweFields): string {
  let text = `${m.domain}${PREAMBLE}\n${m.address}\n\n`;
  if (m.statement !== undefined) text += `${m.statement}\n`;
  text += `\n${TAGS.uri}${m.uri}\n${TAGS.version}${m.version}\n${TAGS.chainId}${m.chainId}\n${TAGS.nonce}${m.nonce}\n${TAGS.issuedAt}${m.issuedAt}`;
  if (m.expirationTime !== undefined) text += `\n${TAGS.expirationTime}${m.expirationTime}`;
  if (m.notBefore !== undefined) text += `\n${TAGS.notBefore}${m.notBefore}`;
  if (m.requestId !== undefined) text += `\n${TAGS.requestId}${m.requestId}`;
  if (m.resources.length > 0) text += `\n${TAGS.resources}${m.resources.map((r) => `\n- ${r}`).join('')}`;
  return text;
}

/** `OffsetDateTime::from_unix_timestamp(s)` formatted RFC 3339 by the `time` crate: whole seconds, `Z`. */
export function blockTimestampText(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
