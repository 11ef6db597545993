/**
 * One devnet Lit node: an HTTP server on 127.0.0.1 answering the endpoints the Lit SDK v7 calls the
 * way the real node (LIT-Protocol/Node v1.0.18, a Rocket server) does, with per-endpoint request
 * counters and injectable faults (latency, random 500s, down/up).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NO_FAULTS, validateFaults, type NodeFaults } from './faults';
import type { NodeContext, NodeRequest } from './node-context';
import { badInput, NodeRefusal, notEmulated, PublicErrorRefusal, rocketDefault } from './node-error';
import { pkpSign } from './pkp-sign';
import { signSessionKey } from './sign-session-key';

export const NODE_ENDPOINTS = ['handshake', 'sign_session_key', 'pkp_sign', 'blockhash', 'not_emulated', 'unknown'] as const;
export type NodeEndpoint = (typeof NODE_ENDPOINTS)[number];
export type EndpointCounts = Record<NodeEndpoint, number>;

/**
 * The devnet reads at most this much of a body; the real node's Rocket.toml allows 100 MiB. A
 * deliberate difference: no SDK request comes near either, and a devnet must not hold 100 MiB per request.
 */
const MAX_BODY_BYTES = 1024 * 1024;
/** The real node sends its version in this header on every response (rust/lit-node/src/main.rs:404-411). */
const NODE_VERSION = '1.0.18';
/** What the handshake reports when the client sends no X-Lit-SDK-Version (lit-api-core context/mod.rs:291-335). */
const DEFAULT_CLIENT_SDK_VERSION = '1.2.60';

/** Endpoints the real node serves and the devnet does not emulate: answered with a plain, coded refusal. */
const NOT_EMULATED: Record<string, string> = {
  '/web/execute/v1': 'Lit Action execution (/web/execute/v1)',
  '/web/execute': 'Lit Action execution (/web/execute)',
  '/web/encryption/sign': 'decryption key shares (/web/encryption/sign)',
  '/web/encryption/sign/v1': 'decryption key shares (/web/encryption/sign/v1)',
  '/web/pkp/claim': 'PKP claiming (/web/pkp/claim)',
  '/web/sign_session_key': 'the v0 sign_session_key (/web/sign_session_key, ECDSA)',
  '/web/pkp/sign': 'the v0 pkp/sign (/web/pkp/sign)',
};

export function emptyCounts(): EndpointCounts {
  return Object.fromEntries(NODE_ENDPOINTS.map((e) => [e, 0])) as EndpointCounts;
}

/**
 * Which endpoint a request is. Like the node's Rocket routes (`format = "json"`), a node route
 * only matches a POST with a JSON content type; a trailing slash is accepted (the SDK sends one).
 */
export function endpointOf(method: string, path: string, contentType: string | undefined): NodeEndpoint {
  const p = path.replace(/\/+$/, '');
  if ((method === 'GET' || method === 'POST') && p === '/get_most_recent_valid_block') return 'blockhash';
  const json = /^application\/json\s*(;|$)/i.test(contentType ?? '');
  if (method !== 'POST' || !json) return 'unknown';
  if (p === '/web/handshake') return 'handshake';
  if (p === '/web/sign_session_key/v1') return 'sign_session_key';
  if (p === '/web/pkp/sign/v1') return 'pkp_sign';
  if (NOT_EMULATED[p] !== undefined) return 'not_emulated';
  return 'unknown';
}

/** The blockhash indexer's reply, which the SDK reads after 30 s through `_blockHashUrl`. */
export function blockhashReply(ctx: Pick<NodeContext, 'chainView' | 'now'>): { blockhash: string; timestamp: string } {
  return { blockhash: ctx.chainView.latestBlockhash(), timestamp: String(Math.floor(ctx.now() / 1000)) };
}

/** X-Correlation-Id, else X-Request-Id (lit-api-core context/mod.rs:167-180). */
function correlationIdOf(headers: http.IncomingHttpHeaders): string | undefined {
  const pick = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  return pick(headers['x-correlation-id']) ?? pick(headers['x-request-id']);
}

type RequestBody = { kind: 'json'; value: unknown } | { kind: 'invalid' } | { kind: 'too-large' };

/** The node's 500 catcher (rust/lit-node/src/main.rs:115-139): what an unexpected failure answers. */
const systemFault = (): PublicErrorRefusal =>
  new PublicErrorRefusal('NodeSystemFault', ['caught rocket 500: internal server error'], { kind: 'Unexpected', withoutCorrelationId: true });

export interface LitNodeOptions {
  faults?: Partial<NodeFaults>;
  /** Random source for error injection (0..1); a test can make it deterministic. */
  random?: () => number;
  /** HD root keys handed out in the handshake; shared across the network. */
  hdRootPubkeys: string[];
}

export class LitNode {
  readonly counts: EndpointCounts = emptyCounts();
  /** Non-2xx answers per endpoint (refusals and injected faults). */
  readonly refusals: EndpointCounts = emptyCounts();
  private faults: NodeFaults;
  private readonly server: http.Server;
  private port = 0;
  private listening = false;
  private readonly pendingTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: LitNodeOptions,
  ) {
    validateFaults(options.faults ?? {});
    this.faults = { ...NO_FAULTS, ...options.faults };
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) this.send(res, 500, systemFault().body(undefined));
      });
    });
    this.server.keepAliveTimeout = 1000;
  }

  get index(): number {
    return this.ctx.index;
  }

  get url(): string {
    return this.ctx.url;
  }

  get isUp(): boolean {
    return this.listening;
  }

  getFaults(): NodeFaults {
    return { ...this.faults };
  }

  setFaults(faults: Partial<NodeFaults>): void {
    validateFaults(faults);
    this.faults = { ...this.faults, ...faults };
  }

  /** Listen on 127.0.0.1:`port` (0 = ephemeral, only before the URL is fixed). Returns the port. */
  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
    return this.port;
  }

  /** Stop answering: close the listener and every open connection (clients see connection refused). */
  async down(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    for (const t of this.pendingTimers) clearTimeout(t);
    this.pendingTimers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Answer again, on the same port. */
  async up(): Promise<void> {
    if (this.listening) return;
    await this.listen(this.port);
  }

  async stop(): Promise<void> {
    await this.down();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const endpoint = endpointOf(req.method ?? 'GET', path, req.headers['content-type']);
    const request: NodeRequest = {
      correlationId: correlationIdOf(req.headers),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v])),
    };
    const body = await this.readBody(req);
    this.counts[endpoint]++;
    if (this.faults.latencyMs > 0) await this.delay(this.faults.latencyMs);
    if (!this.listening) return; // went down while waiting
    if (this.faults.errorRate > 0 && (this.options.random ?? Math.random)() < this.faults.errorRate) {
      this.refusals[endpoint]++;
      this.send(res, 500, new PublicErrorRefusal('NodeSystemFault', ['devnet: injected fault'], { kind: 'Unexpected' }).body(request.correlationId));
      return;
    }
    try {
      const reply = await this.answer(endpoint, path, body, request);
      this.send(res, 200, reply);
    } catch (e) {
      this.refusals[endpoint]++;
      const refusal = e instanceof NodeRefusal ? e : systemFault();
      this.send(res, refusal.status, refusal.body(request.correlationId));
    }
  }

  private async answer(endpoint: NodeEndpoint, path: string, body: RequestBody, request: NodeRequest): Promise<unknown> {
    if (endpoint === 'blockhash') return blockhashReply(this.ctx);
    if (endpoint === 'unknown') throw rocketDefault(404);
    if (body.kind === 'too-large') throw rocketDefault(413);
    if (body.kind === 'invalid') throw rocketDefault(400); // JSON syntax, or an empty body
    switch (endpoint) {
      case 'not_emulated':
        throw notEmulated(NOT_EMULATED[path.replace(/\/+$/, '')]);
      case 'handshake':
        return this.handshake(body.value, request);
      case 'sign_session_key':
        return signSessionKey(this.ctx, body.value, request);
      case 'pkp_sign':
        return pkpSign(this.ctx, body.value, request);
    }
  }

  /**
   * `/web/handshake` (web_client.rs:586-695): never refused by the handler itself; its request
   * guards want a correlation header, and a well-formed SDK version header when one is sent.
   */
  private handshake(body: unknown, request: NodeRequest): Record<string, unknown> {
    if (request.correlationId === undefined) {
      throw new PublicErrorRefusal('CoreApiMissingRequiredXRequestIdHeader', ["Missing 'X-Request-Id' or 'X-Correlation-Id' header."], {
        kind: 'Validation',
        withoutCorrelationId: true,
      });
    }
    const sdkVersion = request.headers['x-lit-sdk-version'];
    if (sdkVersion !== undefined) {
      const semver = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/.test(sdkVersion);
      if (!semver || /^0\.0\.0(?:[-+]|$)/.test(sdkVersion)) {
        throw new PublicErrorRefusal('CoreApiInvalidXSDKVersionHeader', ['Invalid X-Lit-SDK-Version header'], {
          kind: semver ? 'Validation' : 'Conversion',
          withoutCorrelationId: true,
        });
      }
    }
    const b = body as { clientPublicKey?: unknown } | null;
    if (typeof b !== 'object' || b === null || Array.isArray(b) || typeof b.clientPublicKey !== 'string') throw badInput();
    const key = this.ctx.networkPublicKeyHex;
    return {
      serverPublicKey: '',
      subnetPublicKey: key,
      networkPublicKey: key,
      networkPublicKeySet: key,
      clientSdkVersion: sdkVersion ?? DEFAULT_CLIENT_SDK_VERSION,
      hdRootPubkeys: this.options.hdRootPubkeys,
      attestation: null,
      latestBlockhash: this.ctx.chainView.latestBlockhash(),
    };
  }

  private readBody(req: http.IncomingMessage): Promise<RequestBody> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) tooLarge = true;
        else chunks.push(chunk);
      });
      req.on('error', () => resolve({ kind: 'invalid' }));
      req.on('end', () => {
        if (tooLarge) return resolve({ kind: 'too-large' });
        try {
          resolve({ kind: 'json', value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
        } catch {
          resolve({ kind: 'invalid' });
        }
      });
    });
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pendingTimers.delete(t);
        resolve();
      }, ms);
      this.pendingTimers.add(t);
    });
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-lit-node-version': NODE_VERSION });
    res.end(text);
  }
}
