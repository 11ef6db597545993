'use strict';
/**
 * Runs ONE Lit Action in QuickJS compiled to WebAssembly, inside a worker thread: the devnet's
 * stand-in for the real node's lit_actions server (Deno on V8, rust/lit-actions/server/runtime.rs).
 *
 * Why this sandbox: the action is caller-supplied code. `node:vm` is not a security boundary (the
 * code reaches the host's `process` through constructor chains). A WebAssembly engine sees only the
 * host functions handed to it, its heap is bounded by QuickJS's allocator limit inside a
 * WebAssembly.Memory, and its interrupt handler stops loops. The worker thread keeps a long
 * computation off the devnet's event loop (where the other nodes and the SDK run), and the parent
 * terminates it as a last resort.
 *
 * Plain JavaScript because a worker thread loads its file with Node's own loader, under jest and tsx alike.
 *
 * In:  workerData = { wasmModule (compiled once by the parent), code, jsParams (JSON text or null), authContext (JSON text), headers,
 *                     timeoutMs, memoryLimitMb, maxResponseLength, maxLogLength }
 * Out: one message { outcome: 'complete' | 'error' | 'timeout' | 'memory', response, logs, error?, notEmulated[] }
 */
const { parentPort, workerData } = require('node:worker_threads');
const { newQuickJSWASMModuleFromVariant, newVariant, shouldInterruptAfterDeadline } = require('quickjs-emscripten-core');
const variant = require('@jitl/quickjs-wasmfile-release-sync').default;
const { keccak_256 } = require('@noble/hashes/sha3');

const SCRIPT_NAME = '<user_provided_script>'; // the name the real runtime gives the code (runtime.rs)
const SIGN_REFUSAL =
  'You can not sign without providing an auth_sig. You must create a session with the PKP, and then pass session sigs in, which will be converted to an auth sig per node. Refer the the docs on creating and using session sigs.';

/**
 * Runs first, as the real runtime's snapshot + LitNamespace.js + PatchDeno.js do: the `Lit`,
 * `LitActions`, `LitAuth`, `LitHeaders` globals, read-only and frozen. The API the devnet emulates:
 * setResponse, console, pubkeyToTokenId, uint8arrayToString/FromString (utf8, base16, base64), and
 * the signing calls, which refuse in a session-key request exactly as the real node does (no
 * auth_sig there: action_client.rs:1206-1210). Every other call, and the Deno globals the devnet
 * does not provide (ethers, jwt, fetch, timers), reports itself through host.notEmulated, which
 * the node turns into a coded DevnetNotEmulated refusal whatever the action does next.
 */
const PRELUDE = String.raw`
"use strict";
(function (host, authJson, headersJson) {
  const { freeze, defineProperty, defineProperties } = Object;
  const readOnly = (value) => ({ value, enumerable: true, writable: false, configurable: false });
  const missing = (name) => function () { return host.notEmulated(name); };

  const utf8Encode = (s) => Uint8Array.from(unescape(encodeURIComponent(String(s))), (c) => c.charCodeAt(0));
  const utf8Decode = (bytes) => {
    let bin = '';
    for (let i = 0; i < bytes.length; i += 4096) bin += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 4096)));
    return decodeURIComponent(escape(bin));
  };
  class TextEncoder { get encoding() { return 'utf-8'; } encode(s = '') { return utf8Encode(s); } }
  class TextDecoder { get encoding() { return 'utf-8'; } decode(b = new Uint8Array()) { return utf8Decode(b instanceof Uint8Array ? b : new Uint8Array(b)); } }
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const toBase64 = (u8) => {
    let out = '';
    for (let i = 0; i < u8.length; i += 3) {
      const n = (u8[i] << 16) | ((u8[i + 1] ?? 0) << 8) | (u8[i + 2] ?? 0);
      out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < u8.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < u8.length ? B64[n & 63] : '=');
    }
    return out;
  };
  const fromBase64 = (s) => {
    const clean = String(s).replace(/=+$/, '');
    const out = [];
    let bits = 0, acc = 0;
    for (const c of clean) {
      const v = B64.indexOf(c);
      if (v < 0) throw new TypeError('invalid base64');
      acc = (acc << 6) | v; bits += 6;
      if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 255); }
    }
    return Uint8Array.from(out);
  };
  const encodings = {
    utf8: [utf8Decode, utf8Encode],
    'utf-8': [utf8Decode, utf8Encode],
    base16: [(u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join(''), (s) => Uint8Array.from(String(s).match(/../g) || [], (h) => parseInt(h, 16))],
    base64: [toBase64, fromBase64],
  };
  const codec = (encoding, which, name) => {
    const pair = encodings[encoding === undefined ? 'utf8' : encoding];
    return pair ? pair[which] : missing(name + " with encoding '" + String(encoding).slice(0, 32) + "'");
  };

  const format = (args) => args.map((a) => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.name + ': ' + a.message;
    try { return JSON.stringify(a) ?? String(a); } catch (e) { return String(a); }
  }).join(' ');
  const console = freeze({
    log: (...a) => host.print(format(a) + '\n', false),
    info: (...a) => host.print(format(a) + '\n', false),
    debug: (...a) => host.print(format(a) + '\n', false),
    warn: (...a) => host.print(format(a) + '\n', true),
    error: (...a) => host.print(format(a) + '\n', true),
  });

  const refuseSigning = async () => { throw new Error(${JSON.stringify(SIGN_REFUSAL)}); };
  const actions = {
    setResponse: ({ response }) => host.setResponse(response),
    pubkeyToTokenId: ({ publicKey }) => host.pubkeyToTokenId(publicKey),
    uint8arrayToString: (u8, encoding) => codec(encoding, 0, 'uint8arrayToString')(u8),
    uint8arrayFromString: (s, encoding) => codec(encoding, 1, 'uint8arrayFromString')(s),
    signEcdsa: refuseSigning,
    ethPersonalSignMessageEcdsa: refuseSigning,
  };
  for (const name of ['isPermittedAction', 'isPermittedAddress', 'isPermittedAuthMethod', 'getPermittedActions',
    'getPermittedAddresses', 'getPermittedAuthMethods', 'getPermittedAuthMethodScopes', 'getLatestNonce', 'claimKey',
    'checkConditions', 'call', 'callContract', 'aesDecrypt', 'broadcastAndCollect', 'decryptAndCombine',
    'signAndCombineEcdsa', 'runOnce', 'getRpcUrl', 'encrypt', 'decryptToSingleNode']) {
    actions[name] = missing('Lit.Actions.' + name);
  }

  const headerMap = JSON.parse(headersJson);
  class LitHeadersView {
    get(name) { const v = headerMap[String(name).toLowerCase()]; return v === undefined ? null : v; }
    has(name) { return String(name).toLowerCase() in headerMap; }
    entries() { return Object.entries(headerMap)[Symbol.iterator](); }
    keys() { return Object.keys(headerMap)[Symbol.iterator](); }
    forEach(fn) { for (const [k, v] of Object.entries(headerMap)) fn(v, k, this); }
  }

  defineProperties(globalThis, {
    LitActions: readOnly(freeze(actions)),
    LitAuth: readOnly(freeze(JSON.parse(authJson))),
    LitHeaders: readOnly(freeze(new LitHeadersView())),
    console: { value: console, writable: true, configurable: true },
    TextEncoder: { value: TextEncoder, writable: true, configurable: true },
    TextDecoder: { value: TextDecoder, writable: true, configurable: true },
    btoa: { value: (s) => toBase64(Uint8Array.from(String(s), (c) => c.charCodeAt(0) & 255)), writable: true, configurable: true },
    atob: { value: (s) => String.fromCharCode(...fromBase64(s)), writable: true, configurable: true },
    global: { value: globalThis, writable: true, configurable: true },
  });
  defineProperty(globalThis, 'Lit', readOnly(freeze({ Actions: LitActions, Auth: LitAuth, Headers: LitHeaders })));

  // The real runtime starts V8 with --disallow-code-generation-from-strings (runtime.rs init_v8): no eval, no Function(text).
  const noCodeGeneration = function () { throw new EvalError('Code generation from strings disallowed for this context'); };
  noCodeGeneration.prototype = Function.prototype;
  for (const F of [Function, (async function () {}).constructor, (function* () {}).constructor, (async function* () {}).constructor]) {
    defineProperty(F.prototype, 'constructor', { value: noCodeGeneration, writable: false, configurable: false });
  }
  defineProperties(globalThis, { eval: { value: noCodeGeneration, writable: true, configurable: true }, Function: { value: noCodeGeneration, writable: true, configurable: true } });
  for (const name of ['ethers', 'jwt', 'fetch', 'crypto', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Deno', 'Headers', 'Request', 'Response']) {
    defineProperty(globalThis, name, { get: missing(name), configurable: true });
  }
})(__host, __authJson, __headersJson);
delete globalThis.__host;
delete globalThis.__authJson;
delete globalThis.__headersJson;
`;

function main() {
  const d = workerData;
  const state = { response: '', logs: '', notEmulated: [] };
  const finish = (outcome, error) => {
    parentPort.postMessage({ outcome, response: state.response, logs: state.logs, notEmulated: state.notEmulated, ...(error === undefined ? {} : { error }) });
  };

  const deadline = Date.now() + d.timeoutMs;
  return newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmModule: d.wasmModule })).then((mod) => {
    const rt = mod.newRuntime();
    rt.setMemoryLimit(d.memoryLimitMb * 1024 * 1024);
    rt.setMaxStackSize(1024 * 1024);
    rt.setInterruptHandler(shouldInterruptAfterDeadline(deadline));
    const vm = rt.newContext();

    // --- host functions (the ops the real runtime forwards to the node) ---
    const host = vm.newObject();
    const fn = (name, impl) => {
      const f = vm.newFunction(name, (...handles) => {
        try {
          const out = impl(...handles.map((h) => vm.dump(h)));
          return out === undefined ? vm.undefined : vm.newString(out);
        } catch (e) {
          return { error: vm.newError({ name: e.name || 'Error', message: e.message }) };
        }
      });
      vm.setProp(host, name, f);
      f.dispose();
    };
    fn('setResponse', (response) => {
      // op_set_response takes a string (#[string]); the node caps its length (action_client.rs:390-397).
      if (typeof response !== 'string') throw Object.assign(new Error('expected string'), { name: 'TypeError' });
      if (response.length > d.maxResponseLength) throw new Error(`Response is too long. Max length is ${d.maxResponseLength} bytes`);
      state.response = response;
    });
    fn('print', (message) => {
      if (state.logs.length + message.length > d.maxLogLength) {
        throw new Error(`Console.log is printing something that is too long. Max length for all logs in a single request is ${d.maxLogLength} bytes`);
      }
      state.logs += message;
    });
    fn('pubkeyToTokenId', (publicKey) => {
      // action_client.rs:483-487: lit-core hex_to_bytes (0x optional, odd length padded), keccak256.
      let hex = String(publicKey).replace(/^0x/, '');
      if (hex.length % 2 === 1) hex = `0${hex}`;
      if (!/^[0-9a-fA-F]*$/.test(hex)) throw new Error('failed to decode hex from str: Invalid character');
      return `0x${Buffer.from(keccak_256(Buffer.from(hex, 'hex'))).toString('hex')}`;
    });
    fn('notEmulated', (name) => {
      const what = String(name).slice(0, 120);
      if (!state.notEmulated.includes(what)) state.notEmulated.push(what);
      throw new Error(`devnet: ${what} is not emulated by this devnet`);
    });
    vm.setProp(vm.global, '__host', host);
    host.dispose();
    const setText = (name, text) => {
      const h = vm.newString(text);
      vm.setProp(vm.global, name, h);
      h.dispose();
    };
    setText('__authJson', d.authContext);
    setText('__headersJson', JSON.stringify(d.headers));

    // A QuickJS error value → the outcome it stands for, and Deno's "Uncaught …" text.
    const classify = (errHandle, inPromise) => {
      // Past the deadline, whatever surfaced is the interrupt (inside a promise job QuickJS can report it as another error).
      if (Date.now() >= deadline) return ['timeout'];
      const e = vm.dump(errHandle);
      if (e && e.name === 'InternalError' && e.message === 'interrupted') return ['timeout'];
      if (e && e.name === 'InternalError' && e.message === 'out of memory') return ['memory'];
      const head = e && typeof e === 'object' && 'message' in e ? `${e.name}: ${e.message}` : String(e);
      const stack = e && typeof e.stack === 'string' ? `\n${e.stack.trimEnd()}` : '';
      return ['error', `Uncaught ${inPromise ? '(in promise) ' : ''}${head}${stack}`];
    };
    const fail = (errHandle, inPromise, prefix) => {
      const [outcome, text] = classify(errHandle, inPromise);
      return finish(outcome, text === undefined ? undefined : `${prefix ?? ''}${text}`);
    };

    const prelude = vm.evalCode(PRELUDE, 'LitNamespace.js');
    if (prelude.error) return fail(prelude.error, false, 'Error populating Lit namespace: ');
    prelude.value.dispose();

    if (d.jsParams !== null) {
      // runtime.rs Params.js: the params must be an object; each key becomes a global.
      const params = JSON.parse(d.jsParams);
      if (typeof params !== 'object' || params === null || Array.isArray(params)) {
        return finish('error', 'Error building main worker: Could not convert params to map');
      }
      const injected = vm.evalCode(`"use strict";\nObject.assign(globalThis, ${d.jsParams});`, 'Params.js');
      if (injected.error) return fail(injected.error, false, 'Error building main worker: Error injecting params as globals: ');
      injected.value.dispose();
    }

    // The real runtime skips empty code (runtime.rs: "Fast path to do nothing").
    if (d.code.trim() === '') return finish('complete');

    const result = vm.evalCode(d.code, SCRIPT_NAME);
    if (result.error) return fail(result.error, false);
    // Deno runs the event loop until no work is left; here, the pending promise jobs.
    for (;;) {
      const jobs = rt.executePendingJobs();
      if (jobs.error) {
        const out = fail(jobs.error, true);
        result.value.dispose();
        return out;
      }
      if (!rt.hasPendingJob()) break;
    }
    // Deno fails an execution on an unhandled rejection. QuickJS-emscripten exposes no rejection
    // tracker, so the devnet checks the promise the script ends with: the usual action shape,
    // `(async () => { … })();`, makes that promise the script's completion value.
    const state_ = vm.getPromiseState(result.value);
    if (state_.type === 'rejected') return fail(state_.error, true);
    return finish('complete');
  });
}

main().catch((e) => {
  parentPort.postMessage({
    outcome: 'error',
    response: '',
    logs: '',
    notEmulated: [],
    error: `devnet sandbox failure: ${String(e && e.message).slice(0, 200)}`,
  });
});
