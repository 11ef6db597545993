/**
 * One devnet Lit node: an HTTP server on 127.0.0.1 answering the endpoints the Lit SDK v7 calls,
 * with per-endpoint request counters and injectable faults (latency, random 500s, down/up).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { NO_FAULTS, validateFaults, type NodeFaults } from './faults';
import type { NodeContext } from './node-context';
import { NodeRefusal } from './node-error';
import { pkpSign } from './pkp-sign';
import { signSessionKey } from './sign-session-key';

export const NODE_ENDPOINTS = ['handshake', 'sign_session_key', 'pkp_sign', 'blockhash', 'unknown'] as const;
export type NodeEndpoint = (typeof NODE_ENDPOINTS)[number];
export type EndpointCounts = Record<NodeEndpoint, number>;

const MAX_BODY_BYTES = 1024 * 1024;
const NODE_VERSION = '0.0.0-devnet';

export function emptyCounts(): EndpointCounts {
  return Object.fromEntries(NODE_ENDPOINTS.map((e) => [e, 0])) as EndpointCounts;
}

/** Which endpoint a path is, or undefined. Paths as the SDK sends them, with or without a trailing slash. */
export function endpointOf(method: string, path: string): NodeEndpoint {
  const p = path.replace(/\/+$/, '');
  if (method === 'POST' && p === '/web/handshake') return 'handshake';
  if (method === 'POST' && p === '/web/sign_session_key/v1') return 'sign_session_key';
  if (method === 'POST' && p === '/web/pkp/sign/v1') return 'pkp_sign';
  if ((method === 'GET' || method === 'POST') && p === '/get_most_recent_valid_block') return 'blockhash';
  return 'unknown';
}

/** The blockhash indexer's reply, which the SDK reads after 30 s through `_blockHashUrl`. */
export function blockhashReply(ctx: Pick<NodeContext, 'chainView' | 'now'>): { blockhash: string; timestamp: string } {
  return { blockhash: ctx.chainView.latestBlockhash(), timestamp: String(Math.floor(ctx.now() / 1000)) };
}

export interface LitNodeOptions {
  faults?: Partial<NodeFaults>;
  /** Random source for error injection (0..1); a test can make it deterministic. */
  random?: () => number;
  /** Server key and HD root keys are handed out in the handshake; shared across the network. */
  hdRootPubkeys: string[];
}

export class LitNode {
  readonly counts: EndpointCounts = emptyCounts();
  /** Non-2xx answers per endpoint (refusals and injected faults). */
  readonly refusals: EndpointCounts = emptyCounts();
  private faults: NodeFaults;
  private readonly server: http.Server;
  private readonly serverPublicKey = randomBytes(32).toString('hex');
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
        if (!res.headersSent) this.send(res, 500, new NodeRefusal('NodeInternalError', 'internal error').toBody());
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
    const endpoint = endpointOf(req.method ?? 'GET', path);
    const body = await this.readBody(req);
    this.counts[endpoint]++;
    if (this.faults.latencyMs > 0) await this.delay(this.faults.latencyMs);
    if (!this.listening) return; // went down while waiting
    if (this.faults.errorRate > 0 && (this.options.random ?? Math.random)() < this.faults.errorRate) {
      this.refusals[endpoint]++;
      this.send(res, 500, new NodeRefusal('NodeInjectedFault', 'devnet: injected fault').toBody());
      return;
    }
    try {
      const reply = await this.answer(endpoint, body);
      this.send(res, 200, reply);
    } catch (e) {
      this.refusals[endpoint]++;
      const refusal = e instanceof NodeRefusal ? e : new NodeRefusal('NodeInternalError', 'internal error');
      this.send(res, refusal.status, refusal.toBody());
    }
  }

  private async answer(endpoint: NodeEndpoint, body: unknown): Promise<unknown> {
    if (endpoint === 'blockhash') return blockhashReply(this.ctx);
    if (endpoint === 'unknown') throw new NodeRefusal('NodeUnknownEndpoint', 'no such endpoint');
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new NodeRefusal('NodeInvalidRequest', 'the body must be a JSON object');
    }
    const request = body as Record<string, unknown>;
    this.checkEpoch(request.epoch);
    switch (endpoint) {
      case 'handshake':
        return this.handshake();
      case 'sign_session_key':
        return signSessionKey(this.ctx, request);
      case 'pkp_sign':
        return pkpSign(this.ctx, request);
    }
  }

  /** The SDK sends its epoch, or the one before near a boundary; an older one means it missed a change. */
  private checkEpoch(epoch: unknown): void {
    if (epoch === undefined || epoch === null) return;
    const current = this.ctx.currentEpoch();
    if (typeof epoch !== 'number' || !(epoch === current || epoch === current - 1)) {
      const given = typeof epoch === 'number' ? String(epoch) : '(not a number)';
      throw new NodeRefusal('NodeInvalidEpoch', `epoch ${given} is not the current epoch (${current}) or the one before`);
    }
  }

  private handshake(): Record<string, unknown> {
    const key = this.ctx.networkPublicKeyHex;
    return {
      serverPublicKey: this.serverPublicKey,
      subnetPublicKey: key,
      networkPublicKey: key,
      networkPublicKeySet: key,
      hdRootPubkeys: this.options.hdRootPubkeys,
      attestation: null,
      latestBlockhash: this.ctx.chainView.latestBlockhash(),
      nodeVersion: NODE_VERSION,
      epoch: this.ctx.currentEpoch(),
    };
  }

  private readBody(req: http.IncomingMessage): Promise<unknown> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) tooLarge = true;
        else chunks.push(chunk);
      });
      req.on('error', () => resolve(undefined));
      req.on('end', () => {
        if (tooLarge || chunks.length === 0) return resolve(undefined);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
        } catch {
          resolve(undefined);
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
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}
