/**
 * Session sigs as the real Lit node (LIT-Protocol/Node v1.0.18) validates them on the v1
 * endpoints: `validate_session_sig` (rust/lit-node/src/auth/session_sigs.rs:126-190), its
 * capabilities (auth/validators/siwe.rs:176-347, auth/capabilities/recap.rs:22-178), the
 * "basic" check behind `extract_wallet_sig` (session_sigs.rs:52-70, 370-422) and the capability
 * check the rate limiter runs (siwe.rs:40-170).
 *
 * Errors are built as the node builds them, as lit-core error chains (`LitError`), and turned into
 * the wire body by `handle` exactly as lit-api-core's handler does: the outermost error gets its
 * source's Display appended to its details, the body's code, status, kind and message are those of
 * the DEEPEST error in the chain that carries a code (lit-core `concrete(true)`,
 * rust/lit-core/lit-core/src/error/mod.rs:167-182 and its test at 790-806), and the details of every
 * error are concatenated outermost first (lit-core error/public.rs:104-145). So a session sig the
 * node wraps in `NodeInvalidAuthSig` (auth_material.rs:143-149) reaches the client with the inner
 * code, e.g. 403 NodeNotAuthorized for a wrong nodeAddress, or 400 NodeSIWECapabilityInvalid when
 * no capability is valid (a real datil response shows exactly that body).
 *
 * Third-party texts in `details` (serde_json, chrono, hex, ed25519, blsful) are reproduced from
 * those crates' sources where they were read, and approximated where marked.
 */
import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';
import { secp256k1 } from '@noble/curves/secp256k1';
import { ethers } from 'ethers';
import { sessionSigningDigest, verifyNetworkSignature } from './bls-network-key';
import type { NodeContext } from './node-context';
import { PublicErrorRefusal } from './node-error';
import type { ErrorKindName, RealErrorCodeName } from './real-error-codes';
import { decodeRecap, grantsAbility, RECAP_PREFIX, recapStatement, type Capability } from './recap';
import { formatSiwe, parseRfc3339, parseSiwe, SiweParseError, type SiweFields } from './siwe';

// ---------------------------------------------------------------------------------------------
// lit-core error chains
// ---------------------------------------------------------------------------------------------

/** One lit-core `Error` (rust/lit-core/lit-core/src/error/mod.rs:30-48): kind, optional code, msg, source, public details. */
export interface LitError {
  kind: ErrorKindName;
  code?: RealErrorCodeName;
  msg?: string;
  /** A nested lit-core error, or the Display text of a foreign error (a String, a serde error…). */
  source?: LitError | string;
  details: string[];
}

/** Thrown by the checks below: a lit-core error the caller may wrap further, then `handle`. */
export class LitFailure extends Error {
  constructor(readonly error: LitError) {
    super(displayLitError(error));
    this.name = 'LitFailure';
  }
}

/** `<kind>_err[_code](source, [code,] msg)`. */
export function litErr(kind: ErrorKindName, source: LitError | string | undefined, code?: RealErrorCodeName, msg?: string): LitError {
  return { kind, code, msg, source, details: [] };
}

/** lit-core `add_msg_to_details` (mod.rs:104-110). */
export function addMsgToDetails(e: LitError): LitError {
  return e.msg === undefined ? e : { ...e, details: [...e.details, e.msg] };
}

/** lit-core `add_source_to_details` (mod.rs:113-119). */
export function addSourceToDetails(e: LitError): LitError {
  return e.source === undefined ? e : { ...e, details: [...e.details, typeof e.source === 'string' ? e.source : displayLitError(e.source)] };
}

/** lit-core `Display for Error` (mod.rs:302-349): "<kind text>[: msg][: source]". */
const KIND_DISPLAY: Record<ErrorKindName, string> = {
  Unknown: 'error',
  Unexpected: 'unexpected error',
  Generic: 'generic error',
  IPFS: 'IPFS error',
  Io: 'io error',
  Config: 'config error',
  Serializer: 'serializer error',
  Validation: 'validation error',
  Conversion: 'conversion error',
  Parser: 'parser error',
  Lock: 'lock error',
  Timeout: 'timeout error',
  Connect: 'connection error',
  MemoryLimit: 'memory limit exceeded',
  Blockchain: 'blockchain error',
  Attestation: 'attestation error',
  Certs: 'certificate error',
  HttpClient: 'HTTP client error',
  SevSnp: 'AMD SEV-SNP error',
};

export function displayLitError(e: LitError): string {
  let text = KIND_DISPLAY[e.kind];
  if (e.msg !== undefined) text += `: ${e.msg}`;
  if (e.source !== undefined) text += `: ${typeof e.source === 'string' ? e.source : displayLitError(e.source)}`;
  return text;
}

/**
 * lit-api-core `handle_err` (rust/lit-core/lit-api-core/src/error/handler.rs:37-81) + `PublicError`
 * from an error (lit-core error/public.rs:104-145): the refusal the client sees.
 */
export function handle(e: LitError, options: { withoutCorrelationId?: boolean } = {}): PublicErrorRefusal {
  const top = addSourceToDetails(e);
  const details: string[] = [];
  let deepestCoded: LitError | undefined;
  for (let c: LitError | string | undefined = top; c !== undefined && typeof c !== 'string'; c = c.source) {
    details.push(...c.details);
    if (c.code !== undefined) deepestCoded = c;
  }
  const real = deepestCoded ?? top;
  return new PublicErrorRefusal(real.code, details, { kind: real.kind, withoutCorrelationId: options.withoutCorrelationId });
}

const fail = (e: LitError): never => {
  throw new LitFailure(e);
};

// ---------------------------------------------------------------------------------------------
// Small foreign formats: hex (lit-core binary.rs + the `hex` crate), Rust Debug of chars/strings
// ---------------------------------------------------------------------------------------------

/** Rust `char` Debug of a byte taken as a char (`c as char`, Latin-1), as the hex crate reports it. */
function rustCharDebug(byte: number): string {
  const escapes: Record<number, string> = { 0: '\\0', 9: '\\t', 10: '\\n', 13: '\\r', 39: "\\'", 92: '\\\\' };
  if (escapes[byte] !== undefined) return `'${escapes[byte]}'`;
  if (byte < 0x20 || (byte >= 0x7f && byte <= 0x9f) || byte === 0xad) return `'\\u{${byte.toString(16)}}'`;
  return `'${String.fromCharCode(byte)}'`;
}

/** Rust `str` Debug (`{:?}`), as serde prints an unexpected string. */
export function rustStrDebug(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp === 0) out += '\\0';
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}

const isHexByte = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);

/**
 * lit-core `hex_to_bytes` (rust/lit-core/lit-core/src/utils/binary.rs:15-26): a lower-case `0x` is
 * stripped, an odd length (in bytes) gets a leading `0`, then the `hex` crate decodes. Its error is
 * `conversion_err(hex error, "failed to decode hex from str")`.
 */
export function litHexToBytes(text: string): Buffer {
  let raw = Buffer.from(text.startsWith('0x') ? text.slice(2) : text, 'utf8');
  if (raw.length % 2 === 1) raw = Buffer.concat([Buffer.from('0'), raw]);
  for (let i = 0; i < raw.length; i++) {
    if (!isHexByte(raw[i]))
      fail(litErr('Conversion', `Invalid character ${rustCharDebug(raw[i])} at position ${i}`, undefined, 'failed to decode hex from str'));
  }
  return Buffer.from(raw.toString('latin1'), 'hex');
}

// ---------------------------------------------------------------------------------------------
// serde_json, in miniature: the request's session sig `signedMessage` is deserialised by serde
// into `SessionKeySignedMessage` (models/auth.rs:6-30) with `JsonAuthSig`'s hand-written visitor
// (auth_material.rs:729-827) for the capabilities. Streaming, like serde_json, so the first error
// in document order wins and carries serde_json's "at line L column C" (bytes, 1-based lines).
// ---------------------------------------------------------------------------------------------

/** A serde_json error's Display: "<message> at line L column C". */
class SerdeError extends Error {}

type Unexpected = string;

class JsonReader {
  readonly bytes: Buffer;
  i = 0;
  constructor(text: string) {
    this.bytes = Buffer.from(text, 'utf8');
  }

  private position(index: number): string {
    let line = 1;
    let column = 0;
    for (let k = 0; k < index; k++) {
      if (this.bytes[k] === 0x0a) {
        line++;
        column = 0;
      } else {
        column++;
      }
    }
    return `line ${line} column ${column}`;
  }
  /** serde_json `error`: at the read position. */
  error(message: string): SerdeError {
    return new SerdeError(`${message} at ${this.position(this.i)}`);
  }
  /** serde_json `peek_error`: at the next byte. */
  peekError(message: string): SerdeError {
    return new SerdeError(`${message} at ${this.position(Math.min(this.bytes.length, this.i + 1))}`);
  }
  /** A data error (invalid type, missing field…) positioned where serde_json fixes it: here. */
  dataError(message: string): SerdeError {
    return this.error(message);
  }

  ws(): number | undefined {
    while (this.i < this.bytes.length && [0x20, 0x0a, 0x09, 0x0d].includes(this.bytes[this.i])) this.i++;
    return this.bytes[this.i];
  }

  parseString(): string {
    // at the opening quote
    this.i++;
    const out: number[] = [];
    for (;;) {
      if (this.i >= this.bytes.length) throw this.error('EOF while parsing a string');
      const b = this.bytes[this.i++];
      if (b === 0x22) return Buffer.from(out).toString('utf8');
      if (b === 0x5c) {
        if (this.i >= this.bytes.length) throw this.error('EOF while parsing a string');
        const e = this.bytes[this.i++];
        const simple: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };
        if (simple[e] !== undefined) {
          out.push(simple[e]);
        } else if (e === 0x75) {
          let cp = this.hex4();
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (this.bytes[this.i] !== 0x5c || this.bytes[this.i + 1] !== 0x75) throw this.error('lone leading surrogate in hex escape');
            this.i += 2;
            const low = this.hex4();
            if (low < 0xdc00 || low > 0xdfff) throw this.error('lone leading surrogate in hex escape');
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            throw this.error('lone leading surrogate in hex escape'); // approximate: serde_json's text for a lone trailing surrogate
          }
          out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
        } else {
          throw this.error('invalid escape');
        }
      } else if (b < 0x20) {
        throw this.error('control character (\\u0000-\\u001F) found while parsing a string');
      } else {
        out.push(b);
      }
    }
  }

  private hex4(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      if (this.i >= this.bytes.length) throw this.error('EOF while parsing a string');
      const b = this.bytes[this.i++];
      if (!isHexByte(b)) throw this.error('invalid escape');
      v = v * 16 + parseInt(String.fromCharCode(b), 16);
    }
    return v;
  }

  /** Parses a number at the cursor; returns serde's Unexpected text for it. */
  parseNumber(): Unexpected {
    const start = this.i;
    const digit = (): boolean => this.bytes[this.i] >= 0x30 && this.bytes[this.i] <= 0x39;
    if (this.bytes[this.i] === 0x2d) this.i++;
    if (this.i >= this.bytes.length) throw this.peekError('EOF while parsing a value');
    if (!digit()) throw this.peekError('invalid number');
    if (this.bytes[this.i] === 0x30) {
      this.i++;
      if (digit()) throw this.peekError('invalid number');
    } else {
      while (digit()) this.i++;
    }
    let float = false;
    if (this.bytes[this.i] === 0x2e) {
      float = true;
      this.i++;
      if (this.i >= this.bytes.length) throw this.peekError('EOF while parsing a value');
      if (!digit()) throw this.peekError('invalid number');
      while (digit()) this.i++;
    }
    if (this.bytes[this.i] === 0x65 || this.bytes[this.i] === 0x45) {
      float = true;
      this.i++;
      if (this.bytes[this.i] === 0x2b || this.bytes[this.i] === 0x2d) this.i++;
      if (this.i >= this.bytes.length) throw this.peekError('EOF while parsing a value');
      if (!digit()) throw this.peekError('invalid number');
      while (digit()) this.i++;
    }
    const text = this.bytes.subarray(start, this.i).toString('latin1');
    if (!float) {
      const n = BigInt(text);
      if (n >= 0n && n <= 18446744073709551615n) return `integer \`${n}\``;
      if (n < 0n && n >= -9223372036854775808n) return `integer \`${n}\``;
    }
    const f = Number(text);
    if (!Number.isFinite(f)) throw this.error('number out of range');
    const shown = String(f);
    return `floating point \`${/[.e]|Infinity|NaN/.test(shown) ? shown : `${shown}.0`}\``;
  }

  private parseIdent(ident: string): void {
    for (const c of ident) {
      if (this.i >= this.bytes.length) throw this.error('EOF while parsing a value');
      if (this.bytes[this.i++] !== c.charCodeAt(0)) throw this.error('expected ident');
    }
  }

  /** serde_json `peek_invalid_type`: consumes a scalar, not a map or sequence; errors are positioned here. */
  invalidType(expected: string): SerdeError {
    const b = this.ws();
    let unexpected: Unexpected;
    if (b === undefined) return this.peekError('EOF while parsing a value');
    if (b === 0x6e) {
      this.i++;
      this.parseIdent('ull');
      unexpected = 'null';
    } else if (b === 0x74) {
      this.i++;
      this.parseIdent('rue');
      unexpected = 'boolean `true`';
    } else if (b === 0x66) {
      this.i++;
      this.parseIdent('alse');
      unexpected = 'boolean `false`';
    } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
      unexpected = this.parseNumber();
    } else if (b === 0x22) {
      unexpected = `string ${rustStrDebug(this.parseString())}`;
    } else if (b === 0x5b) {
      unexpected = 'sequence';
    } else if (b === 0x7b) {
      unexpected = 'map';
    } else {
      return this.peekError('expected value');
    }
    return this.dataError(`invalid type: ${unexpected}, expected ${expected}`);
  }

  /** `String` (deserialize_string). */
  string(): string {
    const b = this.ws();
    if (b === 0x22) return this.parseString();
    throw this.invalidType('a string');
  }

  /** `Option<String>` (deserialize_option). */
  optionString(): string | null {
    const b = this.ws();
    if (b === undefined) throw this.peekError('EOF while parsing a value');
    if (b === 0x6e) {
      this.i++;
      this.parseIdent('ull');
      return null;
    }
    return this.string();
  }

  /** IgnoredAny: any value, checked for syntax only. */
  ignore(depth = 0): void {
    const b = this.ws();
    if (depth > 127) throw this.error('recursion limit exceeded');
    if (b === undefined) throw this.peekError('EOF while parsing a value');
    if (b === 0x22) {
      this.parseString();
    } else if (b === 0x6e) {
      this.i++;
      this.parseIdent('ull');
    } else if (b === 0x74) {
      this.i++;
      this.parseIdent('rue');
    } else if (b === 0x66) {
      this.i++;
      this.parseIdent('alse');
    } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
      this.parseNumber();
    } else if (b === 0x5b) {
      this.i++;
      this.seqElements(() => this.ignore(depth + 1));
      this.endSeq();
    } else if (b === 0x7b) {
      this.i++;
      this.mapEntries(() => this.ignore(depth + 1));
      this.endMap();
    } else {
      throw this.peekError('expected value');
    }
  }

  /** SeqAccess: calls `element` for each element until `]` (not consumed); `max` stops early (struct visit_seq). */
  seqElements(element: (index: number) => void, max = Infinity): number {
    let n = 0;
    for (;;) {
      if (n >= max) return n;
      const b = this.ws();
      if (b === undefined) throw this.peekError('EOF while parsing a list');
      if (b === 0x5d) return n;
      if (n > 0) {
        if (b !== 0x2c) throw this.peekError('expected `,` or `]`');
        this.i++;
        const c = this.ws();
        if (c === 0x5d) throw this.peekError('trailing comma');
        if (c === undefined) throw this.peekError('EOF while parsing a value');
      }
      element(n++);
    }
  }

  endSeq(): void {
    const b = this.ws();
    if (b === 0x5d) {
      this.i++;
      return;
    }
    if (b === 0x2c) {
      this.i++;
      const c = this.ws();
      throw this.peekError(c === 0x5d ? 'trailing comma' : 'trailing characters');
    }
    throw this.peekError(b === undefined ? 'EOF while parsing a list' : 'trailing characters');
  }

  /** MapAccess: for each key, calls `entry(key)` with the cursor after the key (the colon not yet read). */
  mapEntries(entry: (key: string) => void): void {
    let first = true;
    for (;;) {
      const b = this.ws();
      if (b === undefined) throw this.peekError('EOF while parsing an object');
      if (b === 0x7d) return;
      if (first) {
        first = false;
        if (b !== 0x22) throw this.peekError('key must be a string');
      } else {
        if (b !== 0x2c) throw this.peekError('expected `,` or `}`');
        this.i++;
        const c = this.ws();
        if (c === 0x7d) throw this.peekError('trailing comma');
        if (c === undefined) throw this.peekError('EOF while parsing a value');
        if (c !== 0x22) throw this.peekError('key must be a string');
      }
      const key = this.parseString();
      entry(key);
    }
  }

  colon(): void {
    const b = this.ws();
    if (b === 0x3a) {
      this.i++;
      return;
    }
    throw this.peekError(b === undefined ? 'EOF while parsing an object' : 'expected `:`');
  }

  endMap(): void {
    const b = this.ws();
    if (b === 0x7d) {
      this.i++;
      return;
    }
    throw this.peekError(b === 0x2c ? 'trailing comma' : b === undefined ? 'EOF while parsing an object' : 'trailing characters');
  }

  /** Rejects anything after the top-level value (serde_json `Deserializer::end`). */
  end(): void {
    if (this.ws() !== undefined) throw this.peekError('trailing characters');
  }

  /**
   * A serde-derived struct: from a map (unknown keys ignored, duplicates refused, missing fields
   * reported in declaration order) or from a sequence of its fields in order.
   */
  struct<T>(name: string, fields: { [K in keyof T]: () => T[K] }): T {
    const names = Object.keys(fields) as (keyof T & string)[];
    const b = this.ws();
    const out: Partial<T> = {};
    if (b === 0x7b) {
      this.i++;
      let err: SerdeError | undefined;
      try {
        this.mapEntries((key) => {
          if (names.includes(key as keyof T & string)) {
            const k = key as keyof T & string;
            if (k in out) {
              this.ws();
              throw this.dataError(`duplicate field \`${key}\``);
            }
            this.colon();
            out[k] = fields[k]();
          } else {
            this.colon();
            this.ignore();
          }
        });
        const missing = names.find((k) => !(k in out));
        if (missing !== undefined) {
          this.endMapQuietly();
          throw this.dataError(`missing field \`${missing}\``);
        }
      } catch (e) {
        err = e as SerdeError;
      }
      if (err) throw err;
      this.endMap();
      return out as T;
    }
    if (b === 0x5b) {
      this.i++;
      const count = this.seqElements((index) => {
        out[names[index]] = fields[names[index]]();
      }, names.length);
      if (count < names.length) {
        this.endSeqQuietly();
        throw this.dataError(`invalid length ${count}, expected struct ${name} with ${names.length} elements`);
      }
      this.endSeq();
      return out as T;
    }
    throw this.invalidType(`struct ${name}`);
  }

  /** `Vec<T>` (deserialize_seq). */
  vec<T>(element: () => T): T[] {
    const b = this.ws();
    if (b !== 0x5b) throw this.invalidType('a sequence');
    this.i++;
    const out: T[] = [];
    this.seqElements(() => out.push(element()));
    this.endSeq();
    return out;
  }

  /** serde_json calls end_map/end_seq even after the visitor failed; only their consumption matters then. */
  private endMapQuietly(): void {
    if (this.ws() === 0x7d) this.i++;
  }
  private endSeqQuietly(): void {
    if (this.ws() === 0x5d) this.i++;
  }
}

/** What lit-node calls auth material (auth_material.rs:321-348). */
export type AuthMaterialType = 'SessionSig' | 'ContractSig' | 'BLSNetworkSig' | 'WalletSig';

/** `JsonAuthSig::determine_auth_material_type`: exact, case-sensitive compares. */
export function authMaterialType(derivedVia: string, algo: string | null | undefined): AuthMaterialType {
  if (derivedVia === 'litSessionSignViaNacl' && algo === 'ed25519') return 'SessionSig';
  if (derivedVia === 'EIP1271' || derivedVia === 'EIP1271_SHA256') return 'ContractSig';
  if (derivedVia === 'lit.bls' && algo === 'LIT_BLS') return 'BLSNetworkSig';
  return 'WalletSig';
}

/** A parsed `JsonAuthSig`. */
export interface JsonAuthSig {
  sig: string;
  derivedVia: string;
  signedMessage: string;
  address: string;
  algo: string | null;
  type: AuthMaterialType;
}

const JSON_AUTH_SIG_FIELDS = ['sig', 'derivedVia', 'signedMessage', 'address', 'algo'] as const;
const JSON_AUTH_SIG_EXPECTING = 'a map with keys sig, derivedVia, signedMessage, address, and optionally algo';

/** JsonAuthSig's visitor (auth_material.rs:752-826) over the reader. */
function readJsonAuthSig(r: JsonReader): JsonAuthSig {
  const b = r.ws();
  if (b !== 0x7b) throw r.invalidType(JSON_AUTH_SIG_EXPECTING);
  r.i++;
  const got: Partial<Record<(typeof JSON_AUTH_SIG_FIELDS)[number], string | null>> = {};
  const snake: Record<string, string> = { sig: 'sig', derivedVia: 'derived_via', signedMessage: 'signed_message', address: 'address', algo: 'algo' };
  let err: SerdeError | undefined;
  try {
    r.mapEntries((key) => {
      // The visitor's error is positioned after serde_json's end_map attempt has skipped whitespace.
      if (!(JSON_AUTH_SIG_FIELDS as readonly string[]).includes(key)) {
        r.ws();
        throw r.dataError(`unknown field \`${key}\`, expected one of ${JSON_AUTH_SIG_FIELDS.map((f) => `\`${f}\``).join(', ')}`);
      }
      const k = key as (typeof JSON_AUTH_SIG_FIELDS)[number];
      if (k in got) {
        r.ws();
        throw r.dataError(`duplicate field \`${snake[k]}\``);
      }
      r.colon();
      got[k] = k === 'algo' ? r.optionString() : r.string();
    });
    for (const k of ['sig', 'derivedVia', 'signedMessage', 'address'] as const) {
      if (got[k] === undefined) {
        if (r.ws() === 0x7d) r.i++;
        throw r.dataError(`missing field \`${snake[k]}\``);
      }
    }
  } catch (e) {
    err = e as SerdeError;
  }
  if (err) throw err;
  r.endMap();
  const algo = got.algo ?? null;
  const sig = {
    sig: got.sig as string,
    derivedVia: got.derivedVia as string,
    signedMessage: got.signedMessage as string,
    address: got.address as string,
    algo,
  };
  return { ...sig, type: authMaterialType(sig.derivedVia, algo) };
}

/** `SessionKeySignedMessage` (rust/lit-node/src/models/auth.rs:6-30). */
export interface SessionKeySignedMessage {
  sessionKey: string;
  resourceAbilityRequests: { resource: { resource: string; resourcePrefix: string }; ability: string }[];
  capabilities: JsonAuthSig[];
  issuedAt: string;
  expiration: string;
  nodeAddress: string;
}

/** `serde_json::from_str::<SessionKeySignedMessage>`; throws SerdeError with serde_json's text. */
function deserializeSessionKeySignedMessage(text: string): SessionKeySignedMessage {
  const r = new JsonReader(text);
  const message = r.struct<SessionKeySignedMessage>('SessionKeySignedMessage', {
    sessionKey: () => r.string(),
    resourceAbilityRequests: () =>
      r.vec(() =>
        r.struct<SessionKeySignedMessage['resourceAbilityRequests'][number]>('LitResourceAbilityRequest', {
          resource: () =>
            r.struct<{ resource: string; resourcePrefix: string }>('LitResourceAbilityRequestResource', {
              resource: () => r.string(),
              resourcePrefix: () => r.string(),
            }),
          ability: () => r.string(),
        }),
      ),
    capabilities: () => r.vec(() => readJsonAuthSig(r)),
    issuedAt: () => r.string(),
    expiration: () => r.string(),
    nodeAddress: () => r.string(),
  });
  r.end();
  return message;
}

// ---------------------------------------------------------------------------------------------
// chrono: `DateTime::parse_from_rfc3339` (chrono 0.4.38 format/parse.rs parse_rfc3339) and Display
// ---------------------------------------------------------------------------------------------

interface ChronoDateTime {
  /** The instant, in ns since the epoch. */
  ns: bigint;
  /** The local wall time as written, and its offset in seconds. */
  local: { year: number; month: number; day: number; hour: number; minute: number; second: number; nano: number };
  offsetSeconds: number;
}

const CHRONO_TOO_SHORT = 'premature end of input';
const CHRONO_INVALID = 'input contains invalid characters';
const CHRONO_TOO_LONG = 'trailing input';
const CHRONO_OUT_OF_RANGE = 'input is out of range';

/** `DateTime::parse_from_rfc3339`; returns chrono's ParseError text on failure. */
function parseChronoRfc3339(s: string): ChronoDateTime | string {
  const b = Buffer.from(s, 'utf8');
  let i = 0;
  const number = (min: number, max: number): number | string => {
    if (b.length - i < min) return CHRONO_TOO_SHORT;
    let n = 0;
    let k = 0;
    for (; k < max && i + k < b.length; k++) {
      const c = b[i + k];
      if (c < 0x30 || c > 0x39) {
        if (k < min) return CHRONO_INVALID;
        break;
      }
      n = n * 10 + (c - 0x30);
    }
    i += k;
    return n;
  };
  const char = (c: string): string | undefined => {
    if (i >= b.length) return CHRONO_TOO_SHORT;
    if (b[i] !== c.charCodeAt(0)) return CHRONO_INVALID;
    i++;
    return undefined;
  };
  const year = number(4, 4);
  if (typeof year === 'string') return year;
  let e = char('-');
  if (e) return e;
  const month = number(2, 2);
  if (typeof month === 'string') return month;
  if (month < 1 || month > 12) return CHRONO_OUT_OF_RANGE;
  e = char('-');
  if (e) return e;
  const day = number(2, 2);
  if (typeof day === 'string') return day;
  if (day < 1 || day > 31) return CHRONO_OUT_OF_RANGE;
  if (i >= b.length) return CHRONO_TOO_SHORT;
  if (![0x74, 0x54, 0x20].includes(b[i])) return CHRONO_INVALID;
  i++;
  const hour = number(2, 2);
  if (typeof hour === 'string') return hour;
  if (hour > 23) return CHRONO_OUT_OF_RANGE;
  e = char(':');
  if (e) return e;
  const minute = number(2, 2);
  if (typeof minute === 'string') return minute;
  if (minute > 59) return CHRONO_OUT_OF_RANGE;
  e = char(':');
  if (e) return e;
  const second = number(2, 2);
  if (typeof second === 'string') return second;
  if (second > 60) return CHRONO_OUT_OF_RANGE;
  let nano = 0;
  if (b[i] === 0x2e) {
    i++;
    const start = i;
    const digits = number(1, 9);
    if (typeof digits === 'string') return digits;
    nano = digits * 10 ** (9 - (i - start));
    while (i < b.length && b[i] >= 0x30 && b[i] <= 0x39) i++; // digits past the ninth are skipped
  }
  let offsetSeconds: number;
  if (i >= b.length) return CHRONO_TOO_SHORT;
  if (b[i] === 0x5a || b[i] === 0x7a) {
    i++;
    offsetSeconds = 0;
  } else {
    let negative: boolean;
    if (b[i] === 0x2b) {
      negative = false;
      i++;
    } else if (b[i] === 0x2d) {
      negative = true;
      i++;
    } else if (b[i] === 0xe2 && b[i + 1] === 0x88 && b[i + 2] === 0x92) {
      negative = true; // U+2212 MINUS SIGN
      i += 3;
    } else {
      return CHRONO_INVALID;
    }
    if (b.length - i < 2) return CHRONO_TOO_SHORT;
    const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
    if (!isDigit(b[i]) || !isDigit(b[i + 1])) return CHRONO_INVALID;
    const oh = (b[i] - 0x30) * 10 + (b[i + 1] - 0x30);
    i += 2;
    e = char(':');
    if (e) return e;
    if (b.length - i < 2) return CHRONO_TOO_SHORT;
    if (b[i] >= 0x36 && b[i] <= 0x39 && isDigit(b[i + 1])) return CHRONO_OUT_OF_RANGE;
    if (!(b[i] >= 0x30 && b[i] <= 0x35) || !isDigit(b[i + 1])) return CHRONO_INVALID;
    const om = (b[i] - 0x30) * 10 + (b[i + 1] - 0x30);
    i += 2;
    offsetSeconds = (negative ? -1 : 1) * (oh * 3600 + om * 60);
    if (Math.abs(offsetSeconds) > (23 * 60 + 59) * 60) return CHRONO_OUT_OF_RANGE;
  }
  if (i < b.length) return CHRONO_TOO_LONG;
  if (day > new Date(Date.UTC(2000, month, 0)).getUTCDate() || (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)))) {
    return CHRONO_OUT_OF_RANGE;
  }
  // A leap second (:60) is 59 s plus a second of nanoseconds in chrono.
  const leap = second === 60;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, leap ? 59 : second, 0);
  const ns = BigInt(d.getTime()) * 1_000_000n + BigInt(nano) + (leap ? 1_000_000_000n : 0n) - BigInt(offsetSeconds) * 1_000_000_000n;
  return { ns, local: { year, month, day, hour, minute, second: leap ? 59 : second, nano: nano + (leap ? 1_000_000_000 : 0) }, offsetSeconds };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** chrono NaiveTime Display's fraction: none, 3, 6 or 9 digits. */
function chronoFraction(nano: number): string {
  if (nano === 0) return '';
  if (nano % 1_000_000 === 0) return `.${pad(nano / 1_000_000, 3)}`;
  if (nano % 1000 === 0) return `.${pad(nano / 1000, 6)}`;
  return `.${pad(nano, 9)}`;
}

function chronoNaive(f: ChronoDateTime['local']): string {
  const leap = f.nano >= 1_000_000_000;
  const year = f.year >= 0 && f.year <= 9999 ? pad(f.year, 4) : `${f.year < 0 ? '-' : '+'}${pad(Math.abs(f.year), 4)}`;
  return `${year}-${pad(f.month, 2)}-${pad(f.day, 2)} ${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(leap ? f.second + 1 : f.second, 2)}${chronoFraction(leap ? f.nano - 1_000_000_000 : f.nano)}`;
}

/** `DateTime<FixedOffset>` Display: "2025-01-01 00:00:00 +00:00" (local wall time, then the offset). */
function chronoFixedDisplay(dt: ChronoDateTime): string {
  const sign = dt.offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(dt.offsetSeconds);
  const secs = abs % 60;
  const offset = `${sign}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor(abs / 60) % 60, 2)}${secs ? `:${pad(secs, 2)}` : ''}`;
  return `${chronoNaive(dt.local)} ${offset}`;
}

/** `DateTime<Utc>` Display of an instant in ns: "2025-01-02 10:11:12.123 UTC". */
function chronoUtcDisplay(ns: bigint): string {
  const seconds = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
  const nano = Number(ns - seconds * 1_000_000_000n);
  const d = new Date(Number(seconds) * 1000);
  return `${chronoNaive({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), nano })} UTC`;
}

/** `timestamp()`: whole seconds, floored. */
const wholeSeconds = (ns: bigint): bigint => (ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n));

const GRACE_SECONDS = 60n;
/** rust/lit-node/src/siwe_db/utils.rs:8 MAX_TIMESTAMP_VALIDITY_DAYS. */
const MAX_VALIDITY_NS = 30n * 86_400n * 1_000_000_000n;

/** `validate_session_sig_time_parameters` (session_sigs.rs:208-274). */
function checkSessionTimes(issuedAtText: string, expirationText: string, nowMs: number): void {
  const nowNs = BigInt(nowMs) * 1_000_000n;
  const nowText = chronoUtcDisplay(nowNs);
  const iat = parseChronoRfc3339(issuedAtText);
  if (typeof iat === 'string') {
    fail(addMsgToDetails(litErr('Parser', iat, 'NodeParserError', 'Could not parse issued_at of session key signed message')));
  }
  const issuedAt = iat as ChronoDateTime;
  if (wholeSeconds(issuedAt.ns) > wholeSeconds(nowNs) + GRACE_SECONDS) {
    fail(
      addSourceToDetails(
        litErr(
          'Validation',
          `Session key issued_at ${chronoFixedDisplay(issuedAt)} is in the future beyond the grace period of 60 seconds (now is ${nowText})`,
          'NodeIatOutsideGracePeriod',
        ),
      ),
    );
  }
  const exp = parseChronoRfc3339(expirationText);
  if (typeof exp === 'string') {
    fail(addMsgToDetails(litErr('Parser', exp, 'NodeParserError', 'Could not parse expiration of session key signed message')));
  }
  const expiration = exp as ChronoDateTime;
  if (expiration.ns < issuedAt.ns) {
    fail(
      addSourceToDetails(
        litErr(
          'Validation',
          `Session key expiration ${chronoFixedDisplay(expiration)} is in behind issue_at which is ${chronoFixedDisplay(issuedAt)}`,
          'NodeExpWrongOrTooLarge',
        ),
      ),
    );
  }
  if (wholeSeconds(expiration.ns) < wholeSeconds(nowNs) - GRACE_SECONDS) {
    fail(
      addSourceToDetails(
        litErr(
          'Validation',
          `Session key expiration ${chronoFixedDisplay(expiration)} is in the past beyond the grace period of 60 seconds (now is ${nowText})`,
          'NodeExpWrongOrTooLarge',
        ),
      ),
    );
  }
  // check_expiration_validity (siwe_db/utils.rs:55-73), on DateTime<Utc> at full precision.
  const max = issuedAt.ns + MAX_VALIDITY_NS;
  if (expiration.ns > max) {
    fail(
      addSourceToDetails(
        litErr(
          'Validation',
          `Session key expiration ${chronoUtcDisplay(expiration.ns)} is beyond the max expiry timestamp of ${chronoUtcDisplay(max)} (issued_at is ${chronoUtcDisplay(issuedAt.ns)})`,
          'NodeSIWEMessageError',
        ),
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// ed25519: `check_ed25519_auth_sig` (session_sigs.rs:425-443), ed25519-dalek 2.1.1 semantics
// ---------------------------------------------------------------------------------------------

const ED_L = ed25519.CURVE.n;
const EdPoint = ed25519.Point;

/** `ed25519::Signature::from_str` (ed25519 2.2.3 src/hex.rs): 128 hex chars, all lower or all upper case. */
function ed25519SignatureFromStr(hex: string): Buffer | undefined {
  if (Buffer.byteLength(hex, 'utf8') !== 128) return undefined;
  let upper: boolean | undefined;
  for (const ch of hex) {
    if (ch >= '0' && ch <= '9') continue;
    if (ch >= 'a' && ch <= 'z') {
      if (upper === true) return undefined;
      upper = false;
    } else if (ch >= 'A' && ch <= 'Z') {
      if (upper === false) return undefined;
      upper = true;
    } else {
      return undefined;
    }
  }
  return /^[0-9a-fA-F]{128}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

const leToBigint = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`);

/**
 * `VerifyingKey::verify_strict` (ed25519-dalek 2.1.1): s canonical (< L), R decompresses, neither
 * R nor A of small order, and [s]B - [k]A compresses to exactly R's bytes. Written over noble's
 * curve arithmetic rather than with tweetnacl, whose `verify` is not strict (it accepts small-order
 * keys and R points, which the node refuses).
 */
function ed25519VerifyStrict(publicKey: Uint8Array, A: ReturnType<typeof EdPoint.fromHex>, message: Uint8Array, signature: Uint8Array): boolean {
  const rBytes = signature.subarray(0, 32);
  const s = leToBigint(signature.subarray(32, 64));
  if (s >= ED_L) return false;
  let R: ReturnType<typeof EdPoint.fromHex>;
  try {
    R = EdPoint.fromHex(rBytes, true);
  } catch {
    return false;
  }
  if (R.isSmallOrder() || A.isSmallOrder()) return false;
  const k = leToBigint(createHash('sha512').update(rBytes).update(publicKey).update(message).digest()) % ED_L;
  const expected = EdPoint.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k));
  return Buffer.from(expected.toBytes()).equals(Buffer.from(rBytes));
}

function checkEd25519AuthSig(authSig: { address: string; sig: string; signedMessage: string }): void {
  let pk: Buffer;
  try {
    pk = litHexToBytes(authSig.address);
  } catch (e) {
    if (!(e instanceof LitFailure)) throw e;
    return fail(litErr('Conversion', e.error, 'NodeAuthSigAddressConversionError'));
  }
  if (pk.length !== 32) fail(litErr('Conversion', 'could not convert slice to array', 'NodeAuthSigAddressConversionError'));
  let A: ReturnType<typeof EdPoint.fromHex>;
  try {
    // curve25519-dalek's decompress accepts non-canonical y and x = 0 with the sign bit set: noble's zip215 mode.
    A = EdPoint.fromHex(pk, true);
  } catch {
    return fail(litErr('Validation', 'signature error', 'NodeAuthSigSessionKeyConversionError'));
  }
  const signature = ed25519SignatureFromStr(authSig.sig);
  if (!signature) fail(litErr('Validation', 'signature error', 'NodeAuthSigSignatureConversionError'));
  if (!ed25519VerifyStrict(pk, A, Buffer.from(authSig.signedMessage, 'utf8'), signature as Buffer)) {
    fail(addSourceToDetails(litErr('Validation', 'signature error', 'NodeInvalidAuthSigSessionKeySignature', 'Session key signature is not valid')));
  }
}

// ---------------------------------------------------------------------------------------------
// Capabilities: SIWE (siwe 0.5.2), EIP-191 (k256 0.11 recoverable), BLS, ReCap
// ---------------------------------------------------------------------------------------------

/** `SiweValidator::parse_siwe_message` (validators/siwe.rs:28-37). */
function parseCapabilitySiwe(text: string): SiweFields {
  try {
    return parseSiwe(text, ethers.utils.getAddress);
  } catch (e) {
    if (!(e instanceof SiweParseError)) throw e;
    return fail(addMsgToDetails(litErr('Parser', e.message, 'NodeSIWECapabilityInvalid', 'Error parsing SIWE message on capability sig')));
  }
}

/** siwe-rs `valid_at`: `Not Before` strictly before now, `Expiration Time` not before now; absent ones pass. */
function siweValidAt(m: SiweFields, nowMs: number): boolean {
  const nbf = m.notBefore === undefined ? undefined : parseRfc3339(m.notBefore);
  const exp = m.expirationTime === undefined ? undefined : parseRfc3339(m.expirationTime);
  return (nbf === undefined || nbf < nowMs) && (exp === undefined || exp >= nowMs);
}

/**
 * siwe-rs 0.5.2 `Message::verify` with a timestamp and no RPC provider: the time, then the length,
 * then `verify_eip191` over the RE-SERIALISED message (k256 0.11 recoverable signatures: id = v % 27
 * must be 0..3, r and s in range, no low-s rule; the recovered address must be the SIWE address).
 * Returns the VerificationError's Display, or undefined when valid.
 */
function siweVerify(m: SiweFields, sig: Uint8Array, nowMs: number): string | undefined {
  if (!siweValidAt(m, nowMs)) return 'Message is not currently valid';
  if (sig.length !== 65)
    return 'The signature is not 65 bytes long. It might mean that it is a EIP1271 signature and you have the `ethers` feature disabled or configured a provider.';
  const id = sig[64] % 27;
  if (id > 3) return 'signature error';
  const r = BigInt(`0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}`);
  const s = BigInt(`0x${Buffer.from(sig.subarray(32, 64)).toString('hex')}`);
  const n = secp256k1.CURVE.n;
  if (r === 0n || s === 0n || r >= n || s >= n) return 'signature error';
  let recovered: string;
  try {
    const hash = ethers.utils.arrayify(ethers.utils.hashMessage(formatSiwe(m)));
    // k256 0.11 ignores the "x reduced" half of the id: only its parity picks R.
    const point = new secp256k1.Signature(r, s).addRecoveryBit(id & 1).recoverPublicKey(hash);
    recovered = ethers.utils.computeAddress(point.toRawBytes(false));
  } catch {
    return 'signature error';
  }
  return recovered.toLowerCase() === m.address.toLowerCase() ? undefined : 'Recovered key does not match address or contract wallet support is not enabled.';
}

/**
 * The `sig` of a LIT_BLS capability: serde_json of a `blsful::Signature<Bls12381G2Impl>`, an
 * externally tagged enum (the SDK writes `{"ProofOfPossession":"<hex>"}`). Returns the hex of a
 * proof-of-possession signature, or the serde error text (approximate: blsful's own texts were not
 * read).
 */
function blsSignatureFromJson(sig: string): { pop?: string; other?: true; error?: string } {
  let value: unknown;
  try {
    value = JSON.parse(sig);
  } catch {
    return { error: 'expected value at line 1 column 1' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'invalid type, expected enum Signature' };
  const keys = Object.keys(value);
  if (keys.length !== 1) return { error: 'invalid type: map, expected enum Signature' };
  const [variant] = keys;
  if (!['Basic', 'MessageAugmentation', 'ProofOfPossession'].includes(variant)) {
    return { error: `unknown variant \`${variant}\`, expected one of \`Basic\`, \`MessageAugmentation\`, \`ProofOfPossession\`` };
  }
  const hex = (value as Record<string, unknown>)[variant];
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{192}$/.test(hex)) return { error: 'invalid signature bytes' };
  return variant === 'ProofOfPossession' ? { pop: hex } : { other: true };
}

/** The network's BLS signature over the SIWE's session digest (auth_material.rs:829-837), cached per network key, signature and message. */
function verifyBlsOverSiwe(ctx: NodeContext, m: SiweFields, signatureHex: string): boolean {
  const text = formatSiwe(m);
  const cacheKey = `${ctx.networkPublicKeyHex}:${signatureHex.toLowerCase()}:${text}`;
  if (ctx.blsVerified.has(cacheKey)) return true;
  const ok = verifyNetworkSignature(ctx.networkPublicKeyHex, sessionSigningDigest(text), signatureHex);
  if (ok) {
    if (ctx.blsVerified.size > 10_000) ctx.blsVerified.clear();
    ctx.blsVerified.add(cacheKey);
  }
  return ok;
}

/**
 * A wallet-signed SIWE capability: parsed, its `sig` decoded and verified (EIP-191, valid now)
 * against its SIWE address. `invalidMsg` is what each caller of the node says when it does not verify.
 */
function verifyWalletSiwe(ctx: NodeContext, cap: JsonAuthSig, invalidMsg: string): SiweFields {
  const m = parseCapabilitySiwe(cap.signedMessage);
  let sig: Buffer;
  try {
    sig = litHexToBytes(cap.sig);
  } catch (e) {
    if (!(e instanceof LitFailure)) throw e;
    return fail(litErr('Parser', e.error, 'NodeSIWESigConversionError'));
  }
  const verification = siweVerify(m, sig, ctx.now());
  if (verification !== undefined) fail(addMsgToDetails(litErr('Validation', verification, 'NodeSIWEMessageError', invalidMsg)));
  return m;
}

/** `validate_auth_sig_basic` (siwe.rs:176-220): a wallet-signed SIWE whose URI names the session key. */
function validateWalletBasic(ctx: NodeContext, cap: JsonAuthSig, sessionPubkey: string): SiweFields {
  const m = verifyWalletSiwe(ctx, cap, 'Wallet signature of session key via SIWE is not valid');
  if (m.uri !== `lit:session:${sessionPubkey}`) {
    fail(
      addSourceToDetails(litErr('Validation', 'The session pubkey in the auth sig is not signed in the wallet-signed SIWE message', 'NodeSIWEMessageError')),
    );
  }
  return m;
}

/** `validate_bls_auth_sig_basic` (siwe.rs:222-286): the network's BLS signature, `valid_now`, the session key in the URI. No address check (siwe.rs:142). */
function validateBlsBasic(ctx: NodeContext, cap: JsonAuthSig, sessionPubkey: string): SiweFields {
  const m = checkBlsCapability(ctx, cap);
  const correct = `lit:session:${sessionPubkey}`;
  if (m.uri !== correct) {
    fail(
      addSourceToDetails(
        litErr(
          'Validation',
          `The session pubkey in the auth sig is not signed in the wallet-signed SIWE message.  The correct URI should be ${correct} but the signed URI was ${m.uri}`,
          'NodeSIWEMessageError',
        ),
      ),
    );
  }
  return m;
}

/** The part of the BLS checks shared with `validate_capability_bls_auth_sig` (siwe.rs:91-145). */
function checkBlsCapability(ctx: NodeContext, cap: JsonAuthSig): SiweFields {
  const m = parseCapabilitySiwe(cap.signedMessage);
  if (!siweValidAt(m, ctx.now())) {
    fail(litErr('Validation', 'The SIWE message is not valid now.  It has expired or is not yet valid', 'NodeSIWEMessageError'));
  }
  const signature = blsSignatureFromJson(cap.sig);
  if (signature.error !== undefined) fail(litErr('Parser', signature.error, 'NodeSIWESigConversionError'));
  if (!signature.pop || !verifyBlsOverSiwe(ctx, m, signature.pop)) {
    // blsful's error text was not read; approximate.
    fail(litErr('Validation', 'Signature verification failed', 'NodeSIWEMessageError', 'BLS signature of session key via SIWE is not valid'));
  }
  return m;
}

/**
 * `extract_and_verify_all_capabilities` (recap.rs:22-57): every `urn:recap:` resource that decodes
 * (the others are dropped), each of whose statement must end the SIWE statement when it has one.
 */
export function extractAndVerifyAllCapabilities(m: SiweFields): Capability[] {
  const capabilities: Capability[] = [];
  for (const resource of m.resources) {
    if (!resource.startsWith(RECAP_PREFIX)) continue;
    try {
      capabilities.push(decodeRecap(resource));
    } catch {
      // Capability::try_from failed: flat_map drops it
    }
  }
  for (const capability of capabilities) {
    const expected = recapStatement(capability);
    if (m.statement !== undefined && !m.statement.endsWith(expected)) {
      fail(litErr('Parser', `Incorrect statement for capability object: expected '${expected}', got '${m.statement}'`, 'NodeSIWECapabilityInvalid'));
    }
  }
  return capabilities;
}

/** A resource an endpoint asks a session for (auth/resources.rs). */
export type LitResourceRef = { kind: 'PKPNFT'; tokenIdHex: string } | { kind: 'LitAction'; cid: string };

const resourcePrefix = (r: LitResourceRef): string => (r.kind === 'PKPNFT' ? 'lit-pkp' : 'lit-litaction');
const resourceId = (r: LitResourceRef): string => (r.kind === 'PKPNFT' ? r.tokenIdHex : r.cid);
/** The ability's ReCap form (recap.rs:216-232): PKPSigning → Threshold/Signing, LitActionExecution → Threshold/Execution. */
const recapAbility = (r: LitResourceRef): string => (r.kind === 'PKPNFT' ? 'Threshold/Signing' : 'Threshold/Execution');
/** Rust Debug of the ResourceType, as the "Could not find requested resource" text prints it. */
const resourceDebug = (r: LitResourceRef): string =>
  r.kind === 'PKPNFT' ? `PKPNFT(PKPNFTResource { token_id: ${rustStrDebug(r.tokenIdHex)} })` : `LitAction(LitActionResource { cid: ${rustStrDebug(r.cid)} })`;

/**
 * `verify_capabilities_for_resource` (recap.rs:112-178): the key `<prefix>://*` if the capability
 * has it, else `<prefix>://<id>`, must grant the ability or `*` + `/` + `*`. (With `lit-pkp://*`
 * present but not granting, the specific key is not consulted.)
 */
function capabilityGrants(capability: Capability, resource: LitResourceRef): boolean {
  const wildcard = `${resourcePrefix(resource)}://*`;
  const specific = `${resourcePrefix(resource)}://${resourceId(resource)}`;
  const key = capability.att[wildcard] !== undefined ? wildcard : specific;
  return grantsAbility(capability, key, recapAbility(resource));
}

/** `SiweValidator::validate_auth_sig` (siwe.rs:288-347); throws the capability's failure. */
function validateCapabilityForResource(ctx: NodeContext, cap: JsonAuthSig, sessionPubkey: string, resource: LitResourceRef): void {
  const m = parseCapabilitySiwe(cap.signedMessage);
  if (cap.type === 'WalletSig') validateWalletBasic(ctx, cap, sessionPubkey);
  else if (cap.type === 'BLSNetworkSig') validateBlsBasic(ctx, cap, sessionPubkey);
  else {
    fail(
      litErr(
        'Validation',
        `The auth sig material type ${cap.type} is not supported when calling validate_auth_sig() within session sig validation.  Only WalletSig and BLSNetworkSig are supported.`,
        'NodeSIWEMessageError',
      ),
    );
  }
  let capabilities: Capability[];
  try {
    capabilities = extractAndVerifyAllCapabilities(m);
  } catch (e) {
    if (!(e instanceof LitFailure)) throw e;
    return fail(litErr('Parser', e.error, 'NodeSIWECapabilityInvalid', 'Unable to extract and verify session capability object'));
  }
  if (capabilities.some((c) => capabilityGrants(c, resource))) return;
  fail(litErr('Validation', 'Unable to verify any of the SIWE capability objects', 'NodeSIWECapabilityInvalid'));
}

// ---------------------------------------------------------------------------------------------
// The session sig
// ---------------------------------------------------------------------------------------------

/** The top-level session sig of a request (a `JsonAuthSig` whose material type is SessionSig). */
export interface SessionSigInput {
  sig: string;
  derivedVia: string;
  signedMessage: string;
  address: string;
  algo?: string | null;
}

export interface ValidatedSession {
  message: SessionKeySignedMessage;
  /** The first capability that validated: the "wallet sig" whose `address` is the request's user address. */
  capability: JsonAuthSig;
}

/** `prepare_domain_name` (session_sigs.rs:194-205): trim, strip leading https:// then http:// (repeatedly), localhost → 127.0.0.1. */
function prepareDomainName(name: string): string {
  // Rust's `trim` removes Unicode White_Space: JS's \s without U+FEFF, plus U+0085.
  const isWhiteSpace = (c: string): boolean => c === '\u0085' || (c !== '\uFEFF' && /\s/u.test(c));
  const chars = [...name];
  let from = 0;
  let to = chars.length;
  while (from < to && isWhiteSpace(chars[from])) from++;
  while (to > from && isWhiteSpace(chars[to - 1])) to--;
  let s = chars.slice(from, to).join('');
  while (s.startsWith('https://')) s = s.slice('https://'.length);
  while (s.startsWith('http://')) s = s.slice('http://'.length);
  return s.split('localhost').join('127.0.0.1');
}

/**
 * `validate_session_sig` (session_sigs.rs:126-190) for `resource`: throws a LitFailure with the
 * node's inner error (the caller wraps it in NodeInvalidAuthSig, auth_material.rs:143-149).
 */
export function validateSessionSig(ctx: NodeContext, sessionSig: SessionSigInput, resource: LitResourceRef): ValidatedSession {
  const sessionPubkey = sessionSig.address;
  checkEd25519AuthSig(sessionSig);

  let message: SessionKeySignedMessage;
  try {
    message = deserializeSessionKeySignedMessage(sessionSig.signedMessage);
  } catch (e) {
    if (!(e instanceof SerdeError)) throw e;
    return fail(litErr('Conversion', e.message, 'NodeAuthSigSignedMessageConversionError'));
  }

  // validate_session_sig_resource_ability_requests (278-321): prefix and id compared exactly; the ability is not looked at.
  const prefix = resourcePrefix(resource);
  const id = resourceId(resource);
  if (!message.resourceAbilityRequests.some((r) => r.resource.resourcePrefix === prefix && (r.resource.resource === '*' || r.resource.resource === id))) {
    fail(litErr('Validation', `Could not find requested resource ${resourceDebug(resource)} in the resourceAbilityRequests`, 'NodeResourceIdNotFound'));
  }

  checkSessionTimes(message.issuedAt, message.expiration, ctx.now());

  // The node compares its `[node] domain` + external port with the prepared nodeAddress.
  if (ctx.hostPort !== prepareDomainName(message.nodeAddress)) {
    fail(
      addSourceToDetails(
        litErr('Validation', `Session key node_address ${message.nodeAddress} does not match our node address ${ctx.hostPort}`, 'NodeNotAuthorized'),
      ),
    );
  }

  // validate_capabilities_array (327-368): the first capability that validates wins; failures are only logged.
  const notFound = (inner: LitError): never =>
    fail(addMsgToDetails(litErr('Validation', inner, 'NodeResourceIdNotFound', 'Resource id not found in auth_sig capabilities')));
  if (message.capabilities.length === 0) notFound(addSourceToDetails(litErr('Validation', 'Empty capabilites array.', 'NodeSIWECapabilityInvalid')));
  for (const capability of message.capabilities) {
    try {
      validateCapabilityForResource(ctx, capability, sessionPubkey, resource);
      return { message, capability };
    } catch (e) {
      if (!(e instanceof LitFailure)) throw e;
    }
  }
  return notFound(litErr('Validation', 'Could not find valid capability.', 'NodeSIWECapabilityInvalid'));
}

/**
 * `extract_wallet_sig` (session_sigs.rs:52-70, 370-422): the first capability passing the BASIC
 * checks against the signed message's `sessionKey` (not the sig's address). A capability of another
 * material type stops the search with an error.
 */
export function extractWalletSig(ctx: NodeContext, message: SessionKeySignedMessage): JsonAuthSig {
  if (message.capabilities.length === 0) fail(addSourceToDetails(litErr('Validation', 'Empty capabilites array.', 'NodeSIWECapabilityInvalid')));
  for (const capability of message.capabilities) {
    if (capability.type !== 'WalletSig' && capability.type !== 'BLSNetworkSig') {
      fail(
        litErr(
          'Validation',
          'The auth sig material type is not supported when calling validate_capabilities_array_basic() within session sig validation.  Only WalletSig and BLSNetworkSig are supported.',
          'NodeSIWEMessageError',
        ),
      );
    }
    try {
      if (capability.type === 'WalletSig') validateWalletBasic(ctx, capability, message.sessionKey);
      else validateBlsBasic(ctx, capability, message.sessionKey);
      return capability;
    } catch (e) {
      if (!(e instanceof LitFailure)) throw e;
    }
  }
  return fail(litErr('Validation', 'Could not find valid capability.', 'NodeSIWECapabilityInvalid'));
}

/** rustc-hex `FromHexError` Display, for ethers' `Address::from_str`. */
function parseEthersAddress(text: string): Buffer | string {
  const hex = text.startsWith('0x') ? text.slice(2) : text;
  const bytes = Buffer.from(hex, 'utf8');
  if (bytes.length % 2 === 1) return 'Invalid input length';
  for (let i = 0; i < bytes.length; i++) {
    if (!isHexByte(bytes[i])) return `Invalid character '${String.fromCharCode(bytes[i])}' at position ${i}`;
    if (i === 39 && bytes.length > 40) return 'Invalid input length';
  }
  if (bytes.length !== 40) return 'Invalid input length';
  return Buffer.from(hex, 'hex');
}

/**
 * `validate_capability_auth_sig` (siwe.rs:147-170), as the rate limiter runs it on every capability
 * (data.rs:170-177): a wallet sig must verify and its JSON `address` must be its SIWE address; a
 * LIT_BLS one must carry the network's signature and be valid now. No URI check here.
 */
export function validateCapabilityAuthSig(ctx: NodeContext, cap: JsonAuthSig): SiweFields {
  if (cap.type === 'BLSNetworkSig') return checkBlsCapability(ctx, cap);
  if (cap.type !== 'WalletSig') {
    fail(
      litErr(
        'Validation',
        `The auth sig material type ${cap.type} is not supported when calling validate_auth_sig() within session sig validation.  Only WalletSig and BLSNetworkSig are supported.`,
        'NodeSIWEMessageError',
      ),
    );
  }
  const m = verifyWalletSiwe(ctx, cap, 'Wallet signature of SIWE is not valid');
  const parsed = parseEthersAddress(cap.address);
  if (typeof parsed === 'string') fail(litErr('Parser', parsed, 'NodeSIWEMessageError', 'Error parsing address in auth sig'));
  if ((parsed as Buffer).toString('hex') !== m.address.slice(2).toLowerCase()) {
    fail(litErr('Validation', 'The address in the SIWE message does not match the address in the auth sig', 'NodeSIWEMessageError'));
  }
  return m;
}

/** `SiweValidator::parse_siwe_message` for callers outside this file (the rate limiter parses before validating). */
export function parseCapabilitySiweMessage(text: string): SiweFields {
  return parseCapabilitySiwe(text);
}
