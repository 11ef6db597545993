/**
 * A closed-loop HTTP load generator in its own worker thread (its own event loop, so the
 * gateway it measures does not share one with it): `concurrency` loops, each sending the next
 * request when its previous answer arrived, until `requests` were sent. Plain JS (eval'd), so it
 * needs no TypeScript loader in the worker.
 */
import { Worker } from 'node:worker_threads';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  concurrency: number;
  requests: number;
}

export interface LoadResult {
  wallMs: number;
  /** Per request, in completion order. */
  latenciesMs: number[];
  statuses: Record<string, number>;
  /** 200s whose body did not report `walletSigSource: 'cache'` (a node round, or not an issuance). */
  notCache: number;
}

const WORKER = `
const http = require('node:http');
const { parentPort, workerData: o } = require('node:worker_threads');
// node:http with keep-alive: a third of fetch's CPU per request, which shares the cores measured.
const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
const url = new URL(o.url);
const body = Buffer.from(o.body);
const headers = { ...o.headers, 'content-length': String(body.length) };
const post = () => new Promise((resolve) => {
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: String(res.statusCode), text: Buffer.concat(chunks).toString('utf8') }));
    res.on('error', (e) => resolve({ status: 'error:' + (e.code || e.name) }));
  });
  req.on('error', (e) => resolve({ status: 'error:' + (e.code || e.name) }));
  req.end(body);
});
(async () => {
  const latenciesMs = [];
  const statuses = {};
  let notCache = 0;
  let sent = 0;
  const started = performance.now();
  const loop = async () => {
    while (sent < o.requests) {
      sent++;
      const t0 = performance.now();
      const r = await post();
      latenciesMs.push(performance.now() - t0);
      statuses[r.status] = (statuses[r.status] || 0) + 1;
      if (r.status === '200' && !r.text.includes('"walletSigSource":"cache"')) notCache++;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  agent.destroy();
  parentPort.postMessage({ wallMs: performance.now() - started, latenciesMs, statuses, notCache });
})();
`;

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: options });
    worker.once('message', (r: LoadResult) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
