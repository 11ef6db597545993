import { InitError, InvalidArgumentException, LIT_ABILITY, LOCAL_STORAGE_KEYS, NodeError } from '@lit-protocol/constants';
import { ethers } from 'ethers';
import { ABILITIES } from '../../functions/commons/config';
import { mapLitError, quotedNodeReply } from '../../functions/commons/adapters/lit/errors';
import { LitSessionSigIssuer } from '../../functions/commons/adapters/lit/session-sigs';
import type { SessionSigsParams } from '../../functions/commons/ports';
import { STAKING_ABI_FRAGMENT, litClientSettings, litContractsContext } from '../../functions/commons/adapters/lit/network';
import { ethWalletAuthMethodId } from '../../functions/commons/adapters/lit/contracts';
import { SDK_STORAGE_KEYS } from '../../functions/commons/session-storage';
import { ServiceError } from '../../functions/commons/errors';
import { LIT_CONTRACT_NAMES } from '../../functions/commons/config';

const SECRET = '0x' + 'cd'.repeat(65);

/** A NodeError exactly as the SDK's _throwNodeError builds it, from a node's error body. */
function sdkNodeError(
  body: Record<string, unknown> = { errorKind: 'Validation', errorCode: 'NodeInvalidAuthSig', message: `bad auth sig ${SECRET}`, status: 400 },
): InstanceType<typeof NodeError> {
  const res = { success: false, error: body };
  return new NodeError(
    { info: { requestId: 'r1', errorCode: res.error.errorCode, message: res.error.message }, cause: res.error },
    'There was an error getting the signing shares from the nodes. Response from the nodes: %s',
    JSON.stringify(res),
  );
}

describe('Lit error mapping', () => {
  it('NodeError → 502 LIT_NODE_ERROR with the node errorKind/errorCode and none of its text', () => {
    const e = mapLitError(sdkNodeError(), 'session signature');
    expect(e).toMatchObject({ code: 'LIT_NODE_ERROR', status: 502, details: { errorKind: 'Validation', errorCode: 'NodeInvalidAuthSig' } });
    expect(e.message).not.toContain(SECRET);
    expect(JSON.stringify(e.details)).not.toContain(SECRET);
  });

  it('other SDK errors → 503 LIT_UNAVAILABLE with the SDK code/kind only', () => {
    const e = mapLitError(new InitError({ info: { authSig: SECRET } }, `could not init ${SECRET}`), 'connect');
    expect(e).toMatchObject({ code: 'LIT_UNAVAILABLE', status: 503, details: { errorCode: 'init_error', errorKind: 'Unexpected' } });
    expect(e.message + JSON.stringify(e.details)).not.toContain(SECRET);
  });

  it('real-node refusals about the network, not the request, are 503 LIT_UNAVAILABLE (retryable): stale nonce block, RPC, timeout, rate limit', () => {
    const bodies = [
      { errorKind: 'Validation', errorCode: 'NodeInvalidBlockhash', status: 502, message: 'Invalid Block Hash for sign session key', details: [SECRET] },
      { errorKind: 'Validation', errorCode: 'NodeRpcError', status: 502, message: 'rpc' },
      { message: 'Request timed out', errorCode: 'request_timeout' },
      { message: 'Rate limit exceeded.  Try again later.', errorCode: 'rate_limit_exceeded' },
    ];
    for (const body of bodies) {
      const e = mapLitError(sdkNodeError(body), 'session signature');
      expect(e).toMatchObject({ code: 'LIT_UNAVAILABLE', status: 503, retryable: true, details: { errorCode: body.errorCode } });
      expect(JSON.stringify(e.details) + e.message).not.toContain(SECRET);
    }
  });

  it('real-node refusals of the request are 502 LIT_NODE_ERROR, including a codeless 500 (its errorKind travels)', () => {
    const scope = mapLitError(
      sdkNodeError({
        errorKind: 'Validation',
        errorCode: 'NodeAuthSigScopeTooLimited',
        status: 401,
        message: 'auth_sig scope that is passed does not support the requested operation',
      }),
      'op',
    );
    expect(scope).toMatchObject({ code: 'LIT_NODE_ERROR', retryable: false, details: { errorKind: 'Validation', errorCode: 'NodeAuthSigScopeTooLimited' } });
    const codeless = mapLitError(sdkNodeError({ errorKind: 'Unexpected', status: 500, message: 'An unexpected has occured.' }), 'op');
    expect(codeless).toMatchObject({ code: 'LIT_NODE_ERROR', details: { errorKind: 'Unexpected', errorCode: undefined } });
  });

  it('an SDK parameter error (the service called the SDK wrongly) is 500 INTERNAL, not retryable, with no SDK text', () => {
    const e = mapLitError(new InvalidArgumentException({ info: { authSig: SECRET } }, `bad params ${SECRET}`), 'op');
    expect(e).toMatchObject({ code: 'INTERNAL', status: 500, retryable: false, details: { sdkError: 'InvalidArgumentException' } });
    expect(e.message + JSON.stringify(e.details)).not.toContain(SECRET);
  });

  it('a NodeError without any node reason (too few nodes answered) → 503 LIT_UNAVAILABLE, retryable', () => {
    const e = mapLitError(
      new NodeError(
        { info: { requestId: 'r1' } },
        'There was an error getting the signing shares from the nodes. Response from the nodes: %s',
        '{"success":false}',
      ),
      'session signature',
    );
    expect(e).toMatchObject({ code: 'LIT_UNAVAILABLE', status: 503, retryable: true });
  });

  it('identifiers that are not plain identifiers are dropped', () => {
    const e = mapLitError({ name: 'NodeError', message: '{"errorKind":"has spaces and 0xsecret"}', info: { errorCode: 'x'.repeat(200) } }, 'op');
    expect(e.details).toEqual({ errorKind: undefined, errorCode: undefined });
  });

  it('ServiceErrors pass through', () => {
    const se = new ServiceError('LIT_UNAVAILABLE', 'x');
    expect(mapLitError(se, 'op')).toBe(se);
  });
});

describe('Lit Action outcomes (node replies of LIT-Protocol/Node v1.0.18 sign_session_key, through the SDK)', () => {
  const CID = 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y';
  const noText = (e: ServiceError, ...texts: string[]) => {
    for (const t of texts) expect(e.message + JSON.stringify(e.details)).not.toContain(t);
  };

  it('the action answered without "true" (401 NodeLitActionsSessionSigAuthenticationFailed) → 403 LIT_ACTION_DENIED', () => {
    const e = mapLitError(
      sdkNodeError({
        errorKind: 'Validation',
        errorCode: 'NodeLitActionsSessionSigAuthenticationFailed',
        status: 401,
        message: 'Authentication failed for session_sig signing via Lit Action',
        details: [SECRET],
      }),
      'session signature',
    );
    expect(e).toMatchObject({
      code: 'LIT_ACTION_DENIED',
      status: 403,
      retryable: false,
      details: { errorKind: 'Validation', errorCode: 'NodeLitActionsSessionSigAuthenticationFailed' },
    });
    noText(e, SECRET);
  });

  it('the action threw (400 {"success":false,"error":…,"logs":…}, no errorCode) → 422 LIT_ACTION_FAILED, reason threw, none of its text', () => {
    // serde_json's json! writes keys sorted; what the action threw and logged is the caller's text.
    const thrown = `Uncaught Error: ${SECRET} "errorKind":"IPFS","errorCode":"NodeLitActionsSessionSigAuthenticationFailed"`;
    const e = mapLitError(sdkNodeError({ error: thrown, logs: `log line ${SECRET}\n`, success: false }), 'session signature');
    expect(e).toMatchObject({ code: 'LIT_ACTION_FAILED', status: 422, retryable: false, details: { reason: 'threw' } });
    noText(e, SECRET, 'Uncaught', 'log line');
  });

  it.each([
    ['NodeJsTimeoutError', 'timeout', 'Timeout'],
    ['NodeJsMemoryLimitError', 'memory-limit', 'MemoryLimit'],
    ['NodeJsExecutionError', 'execution-error', 'Unexpected'],
  ])('%s → 422 LIT_ACTION_FAILED with reason %s, without the logs', (errorCode, reason, errorKind) => {
    const e = mapLitError(sdkNodeError({ errorKind, errorCode, status: 502, message: 'js failed', logs: `console ${SECRET}` }), 'session signature');
    expect(e).toMatchObject({ code: 'LIT_ACTION_FAILED', status: 422, details: { reason, errorCode } });
    noText(e, SECRET);
  });

  it("the nodes could not fetch the action's code (errorKind IPFS, no errorCode, 500) → 502 LIT_ACTION_UNAVAILABLE", () => {
    const e = mapLitError(
      sdkNodeError({ errorKind: 'IPFS', status: 500, message: 'IPFS error', details: [`Error getting ipfs file: ${CID}`] }),
      'session signature',
    );
    expect(e).toMatchObject({ code: 'LIT_ACTION_UNAVAILABLE', status: 502, details: { errorKind: 'IPFS' } });
  });

  it('an action CID the PKP does not permit is refused like any unpermitted auth: NodeAuthSigScopeTooLimited stays 502 LIT_NODE_ERROR', () => {
    const e = mapLitError(
      sdkNodeError({
        errorKind: 'Validation',
        errorCode: 'NodeAuthSigScopeTooLimited',
        status: 401,
        message: 'auth_sig scope that is passed does not support the requested operation',
      }),
      'session signature',
    );
    expect(e).toMatchObject({ code: 'LIT_NODE_ERROR', details: { errorCode: 'NodeAuthSigScopeTooLimited' } });
  });

  it('reads the quoted reply by structure: braces and quotes inside strings do not end it, and text after it is ignored', () => {
    const reply = { error: 'a } ] \\" {', logs: '}}}', success: false };
    expect(quotedNodeReply(sdkNodeError(reply))).toEqual(reply);
    expect(quotedNodeReply(new Error('no reply here'))).toBeUndefined();
    expect(quotedNodeReply({ message: 'Response from the nodes: {"success":false,"error":{"a":' })).toBeUndefined();
  });
});

describe('LitSessionSigIssuer with a Lit Action', () => {
  const PKP = '0x04' + ethers.Wallet.createRandom().publicKey.slice(4);
  function issuer() {
    const calls: Array<Record<string, unknown>> = [];
    const client = {
      getPkpSessionSigs: async (p: Record<string, unknown>) => {
        calls.push(p);
        return { 'http://127.0.0.1:1': { sig: 's' } };
      },
      getSessionKeyUri: (k: string) => `lit:session:${k}`,
      getLatestBlockhash: async () => '0x' + 'ab'.repeat(32),
    };
    return { calls, issuer: new LitSessionSigIssuer({ get: async () => client as never }) };
  }
  const owner = ethers.Wallet.createRandom();
  const params = (over: Partial<SessionSigsParams>): SessionSigsParams => ({
    pkpPublicKey: PKP,
    resources: [{ kind: 'pkp', id: '*', ability: 'pkp-signing' }],
    expiration: new Date(Date.now() + 600_000),
    capabilityAuthSig: { sig: 'd', derivedVia: 'web3.eth.personal.sign', signedMessage: 'm', address: owner.address },
    owner,
    deadlineMs: Date.now() + 10_000,
    ...over,
  });

  it("sends the action and jsParams with authMethods [] (never the owner's), keeping the delegation", async () => {
    const { calls, issuer: i } = issuer();
    await i.getPkpSessionSigs(
      params({ litAction: { source: { kind: 'ipfs', ipfsId: 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y' }, jsParams: { customAccessToken: 'lit' } } }),
    );
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c).toMatchObject({
        authMethods: [],
        litActionIpfsId: 'QmWLP9ojXrHJrFHnvMJv12HScFoz7R8kcYAECjtcpaJM2Y',
        jsParams: { customAccessToken: 'lit' },
        capabilityAuthSigs: [{ sig: 'd' }],
      });
      expect(c).not.toHaveProperty('litActionCode');
    }
    const inline = issuer();
    await inline.issuer.getPkpSessionSigs(params({ litAction: { source: { kind: 'inline', codeBase64: 'eA==', code: Uint8Array.of(0x78) }, jsParams: {} } }));
    expect(inline.calls[0]).toMatchObject({ authMethods: [], litActionCode: 'eA==', jsParams: {} });
    expect(inline.calls[0]).not.toHaveProperty('litActionIpfsId');
  });

  it("without an action the owner's EthWallet auth method is sent (the control)", async () => {
    const { calls, issuer: i } = issuer();
    await i.getPkpSessionSigs(params({}));
    expect(calls[0].authMethods).toMatchObject([{ authMethodType: 1 }]);
    expect(calls[0]).not.toHaveProperty('jsParams');
  });
});

describe('Lit network settings', () => {
  const contracts = Object.fromEntries(LIT_CONTRACT_NAMES.map((n, i) => [n, ethers.utils.hexZeroPad(ethers.utils.hexlify(i + 1), 20)])) as never;

  it('custom: Staking address + ABI fragment with the connect function, http by default, never debug', () => {
    const s = litClientSettings({
      network: 'custom',
      custom: { rpcUrl: 'http://127.0.0.1:8545', contracts, blockhashUrl: 'http://127.0.0.1:9/b' },
      connectTimeoutMs: 5000,
      connectAttempts: 2,
    });
    expect(s).toMatchObject({ litNetwork: 'custom', rpcUrl: 'http://127.0.0.1:8545', checkNodeAttestation: false, connectTimeout: 5000, debug: false });
    expect(s.contractContext?.Staking.address).toBe(contracts['Staking' as never]);
    expect(s.nodeProtocol).toBeUndefined();
    const iface = new ethers.utils.Interface(STAKING_ABI_FRAGMENT as unknown as string[]);
    expect(iface.getSighash('getActiveUnkickedValidatorStructsAndCounts')).toBe('0xc51d020e');
    expect(iface.getEvent('StateChanged').format()).toBe('StateChanged(uint8)');
  });

  it('custom nodeProtocol becomes the SDK URL prefix; named networks pass their name', () => {
    expect(
      litClientSettings({ network: 'custom', custom: { rpcUrl: 'http://x', contracts, nodeProtocol: 'https' }, connectTimeoutMs: 1, connectAttempts: 1 })
        .nodeProtocol,
    ).toBe('https://');
    expect(litClientSettings({ network: 'datil-test', connectTimeoutMs: 1, connectAttempts: 1 })).toEqual({
      litNetwork: 'datil-test',
      connectTimeout: 1,
      debug: false,
      alertWhenUnauthorized: false,
    });
  });

  it('LitContracts context names all 11 contracts, fresh each time', () => {
    const lit = { network: 'custom' as const, custom: { rpcUrl: 'http://x', contracts }, connectTimeoutMs: 1, connectAttempts: 1 };
    const a = litContractsContext(lit)!;
    expect(Object.keys(a).sort()).toEqual([...LIT_CONTRACT_NAMES].sort());
    expect(litContractsContext(lit)).not.toBe(a);
  });
});

describe('pinned to the SDK', () => {
  it('our ability names are the SDK LIT_ABILITY values', () => {
    expect([...ABILITIES].sort()).toEqual(Object.values(LIT_ABILITY).sort());
  });
  it('storage keys match the SDK', () => {
    expect(SDK_STORAGE_KEYS.SESSION_KEY).toBe(LOCAL_STORAGE_KEYS.SESSION_KEY);
    expect(SDK_STORAGE_KEYS.WALLET_SIGNATURE).toBe(LOCAL_STORAGE_KEYS.WALLET_SIGNATURE);
  });
  it('EthWallet auth method id matches the contracts-sdk derivation', async () => {
    const { getEthAuthMethodId } = await import('@lit-protocol/contracts-sdk/src/lib/auth-utils');
    const address = ethers.Wallet.createRandom().address;
    expect(ethWalletAuthMethodId(address.toLowerCase())).toBe(getEthAuthMethodId({ authMethodType: 1, accessToken: JSON.stringify({ address }) }));
  });
});
