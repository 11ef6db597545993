/**
 * In-memory implementations of the storage ports and doubles for the Lit ports, for unit tests
 * of the domain. They keep the ports' contracts (conditional writes, expiry) so the domain's
 * behaviour, not the fake's, is what the tests observe.
 */
import { ethers } from 'ethers';
import type { CallerPolicy, RuntimeConfig } from '../../functions/commons/config';
import { requestBoundStorage, SDK_STORAGE_KEYS } from '../../functions/commons/session-storage';
import type {
  DomainLogger,
  MetricsSink,
  SessionSigsParams,
  UnscopedSessionSigIssuer,
  AuditEntry,
  AuditLog,
  AuthSigLike,
  DelegationRecord,
  DelegationStore,
  LoadedScope,
  RateLimitDecision,
  RateLimiter,
  SessionScope,
  SessionScopeStore,
} from '../../functions/commons/ports';

export class MemoryScopeStore implements SessionScopeStore {
  readonly items = new Map<string, { entries: Map<string, string>; version: number; expiresAt: number }>();
  loads = 0;
  saves = 0;
  private key(s: SessionScope): string {
    return `${s.pkpPublicKey}\0${s.caller}\0${s.authIdentity}`;
  }
  async load(scope: SessionScope): Promise<LoadedScope> {
    this.loads++;
    const item = this.items.get(this.key(scope));
    if (!item || item.expiresAt * 1000 <= Date.now()) return { scope, entries: new Map(), version: 0 };
    return { scope, entries: new Map(item.entries), version: item.version };
  }
  async save(loaded: LoadedScope, entries: Map<string, string>, expiresAt: number): Promise<boolean> {
    const k = this.key(loaded.scope);
    const current = this.items.get(k)?.version ?? 0;
    if (current !== loaded.version) return false;
    this.saves++;
    this.items.set(k, { entries: new Map(entries), version: current + 1, expiresAt });
    return true;
  }
}

export class MemoryDelegationStore implements DelegationStore {
  record: DelegationRecord | undefined;
  puts = 0;
  /** Runs just before the conditional check of the next putIfVersion (to simulate a concurrent winner). */
  beforeNextPut: (() => void) | undefined;
  async getCurrent(): Promise<DelegationRecord | undefined> {
    return this.record && { ...this.record };
  }
  /** Versions written so far (the history the table would keep). */
  readonly history: number[] = [];
  async highestHistoryVersion(): Promise<number> {
    return Math.max(0, ...this.history);
  }
  async putIfVersion(next: DelegationRecord, expectedVersion: number | undefined): Promise<boolean> {
    const hook = this.beforeNextPut;
    this.beforeNextPut = undefined;
    hook?.();
    if (this.record?.version !== expectedVersion) return false;
    this.puts++;
    this.record = { ...next };
    this.history.push(next.version);
    return true;
  }
}

export class MemoryRateLimiter implements RateLimiter {
  readonly counts = new Map<string, number>();
  async consume(caller: string, limitPerMinute: number, nowMs = Date.now()): Promise<RateLimitDecision> {
    const window = Math.floor(nowMs / 60_000);
    const k = `${caller}#${window}`;
    const n = (this.counts.get(k) ?? 0) + 1;
    this.counts.set(k, n);
    const retryAfterSeconds = Math.ceil(((window + 1) * 60_000 - nowMs) / 1000);
    return { allowed: n <= limitPerMinute, remaining: Math.max(0, limitPerMinute - n), retryAfterSeconds };
  }
}

export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  failNext = false;
  async record(entry: AuditEntry): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('audit table down');
    }
    this.entries.push(JSON.parse(JSON.stringify(entry)));
  }
}

export class RecordingMetrics implements MetricsSink {
  readonly counts: Record<string, number> = {};
  readonly gauges: Record<string, number[]> = {};
  count(name: string, value = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + value;
  }
  seconds(name: string, value: number): void {
    (this.gauges[name] ??= []).push(value);
  }
}

export class RecordingLogger implements DomainLogger {
  readonly lines: string[] = [];
  info(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push(JSON.stringify(['info', message, ...extra]));
  }
  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push(JSON.stringify(['warn', message, ...extra]));
  }
  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.lines.push(JSON.stringify(['error', message, ...extra]));
  }
}

/** Deterministic keys: PKP public keys are real secp256k1 points, so computeAddress works on them. */
export function pkpKey(seed: number): string {
  const wallet = new ethers.Wallet(ethers.utils.hexZeroPad(ethers.utils.hexlify(seed + 1000), 32));
  return wallet.publicKey.toLowerCase();
}

export const OWNER = new ethers.Wallet('0x' + '11'.repeat(32));
export const PKP_A = pkpKey(1);
export const PKP_B = pkpKey(2);
export const CALLER = 'arn:aws:sts::123456789012:assumed-role/app-backend/session-1';

export function callerPolicy(overrides: Partial<CallerPolicy> = {}): CallerPolicy {
  return {
    principal: CALLER,
    pkps: [PKP_A],
    abilities: [{ resource: 'pkp', ability: 'pkp-signing' }],
    allowWildcardResources: true,
    allowCallerAuthMethods: false,
    maxExpirationSeconds: 3600,
    overMaxExpiration: 'refuse',
    rateLimitPerMinute: 60,
    admin: false,
    ...overrides,
  };
}

export function runtimeConfig(callers: CallerPolicy[] = [callerPolicy()], overrides: Partial<RuntimeConfig['delegation']> = {}): RuntimeConfig {
  return {
    lit: { network: 'datil-dev', connectTimeoutMs: 10_000, connectAttempts: 3 },
    delegation: {
      capacityTokenId: '7',
      validitySeconds: 86_400,
      refreshMarginSeconds: 21_600,
      delegatees: 'policy-pkps',
      schedule: 'rate(1 hour)',
      ...overrides,
    },
    session: { defaultExpirationSeconds: 600 },
    policy: { callers },
    maxBodyBytes: 16_384,
    auditRetentionDays: 90,
  };
}

export const DELEGATION_SIG: AuthSigLike = {
  sig: '0xdelegation-signature-secret',
  derivedVia: 'web3.eth.personal.sign',
  signedMessage: 'localhost wants you to sign in… lit:capability:delegation',
  address: OWNER.address,
};

export function delegationRecord(overrides: Partial<DelegationRecord> = {}): DelegationRecord {
  const now = Math.floor(Date.now() / 1000);
  return {
    version: 3,
    capacityTokenId: '7',
    authSig: DELEGATION_SIG,
    delegatees: [ethers.utils.computeAddress(PKP_A)],
    issuedAt: now - 3600,
    expiresAt: now + 20 * 3600,
    ownerAddress: OWNER.address,
    capacityExpiresAt: now + 30 * 86_400,
    ...overrides,
  };
}

/** A wallet sig as the SDK stores it: JSON with a SIWE whose Expiration Time bounds its life. */
export function walletSigJson(expiresAt: Date, marker = 'wallet-sig'): string {
  return JSON.stringify({
    sig: `0x${marker}`,
    derivedVia: 'lit.bls',
    signedMessage: `localhost wants you to sign in with your Ethereum account:\n0xabc\n\nURI: lit:session:abc\nVersion: 1\nExpiration Time: ${expiresAt.toISOString()}`,
    address: '0xabc',
    algo: 'LIT_BLS',
  });
}

/**
 * Behaves like the SDK as far as the service can see: reuses a wallet sig found in localStorage
 * (no node round), otherwise "asks the nodes" and stores a new one valid until the expiration.
 */
export class SdkLikeIssuer implements UnscopedSessionSigIssuer {
  calls: SessionSigsParams[] = [];
  nodeRounds = 0;
  fail: unknown;
  async getPkpSessionSigs(p: SessionSigsParams) {
    this.calls.push(p);
    if (this.fail) throw this.fail;
    let walletSig = requestBoundStorage.getItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE);
    if (!walletSig) {
      this.nodeRounds++;
      // As the adapter does: a new wallet sig lasts until walletSigValidUntil when given.
      walletSig = walletSigJson(p.walletSigValidUntil ?? p.expiration, `round-${this.nodeRounds}`);
      requestBoundStorage.setItem(SDK_STORAGE_KEYS.SESSION_KEY, JSON.stringify({ publicKey: 'pub', secretKey: 'SESSION-SECRET' }));
      requestBoundStorage.setItem(SDK_STORAGE_KEYS.WALLET_SIGNATURE, walletSig);
    }
    return { sessionSigs: { 'http://127.0.0.1:1': { sig: 'session-sig', signedMessage: walletSig } }, expiresAt: p.expiration.toISOString() };
  }
}
