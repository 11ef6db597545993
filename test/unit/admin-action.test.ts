import { runAdminAction } from '../../functions/commons/domain/admin-action';
import { ServiceError } from '../../functions/commons/errors';
import { CALLER, MemoryAuditLog, MemoryRateLimiter, RecordingLogger, callerPolicy, runtimeConfig } from './fakes';

const NOW = Date.parse('2026-06-01T00:00:30Z');
const ADMIN = 'arn:aws:sts::123456789012:assumed-role/ops-admin/alice';

function setup(limit = 2) {
  return {
    config: runtimeConfig([
      callerPolicy(),
      callerPolicy({ principal: 'arn:aws:sts::123456789012:assumed-role/ops-admin/*', pkps: [], admin: true, rateLimitPerMinute: limit }),
    ]),
    rateLimiter: new MemoryRateLimiter(),
    auditLog: new MemoryAuditLog(),
    logger: new RecordingLogger(),
    now: () => NOW,
  };
}

describe('admin actions (refresh, mint): rate limited per caller and audited', () => {
  it('runs the action for an admin and records it as done, with what it reports', async () => {
    const d = setup();
    const out = await runAdminAction(d, { requestId: 'r1', caller: ADMIN, action: 'mint-pkp' }, async (audit) => {
      audit.pkpPublicKey = '0x04ab';
      return 'minted';
    });
    expect(out).toBe('minted');
    expect(d.auditLog.entries).toEqual([
      { requestId: 'r1', caller: ADMIN, action: 'mint-pkp', resources: [], outcome: 'done', pkpPublicKey: '0x04ab', at: NOW },
    ]);
  });

  it('refuses a non-admin before running anything, and audits the refusal', async () => {
    const d = setup();
    const run = jest.fn();
    await expect(runAdminAction(d, { requestId: 'r2', caller: CALLER, action: 'refresh-delegation' }, run)).rejects.toMatchObject({ code: 'ADMIN_REQUIRED' });
    expect(run).not.toHaveBeenCalled();
    expect(d.auditLog.entries[0]).toMatchObject({ action: 'refresh-delegation', outcome: 'refused', errorCode: 'ADMIN_REQUIRED' });
  });

  it("counts against the admin's per-minute limit (per role, whatever the session name) and answers 429 beyond it", async () => {
    const d = setup(2);
    const run = jest.fn(async () => 'ok');
    await runAdminAction(d, { requestId: 'a', caller: ADMIN, action: 'refresh-delegation' }, run);
    await runAdminAction(d, { requestId: 'b', caller: ADMIN.replace('alice', 'bob'), action: 'refresh-delegation' }, run);
    await expect(runAdminAction(d, { requestId: 'c', caller: ADMIN, action: 'mint-pkp' }, run)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { limitPerMinute: 2, retryAfterSeconds: 30 },
    });
    expect(run).toHaveBeenCalledTimes(2);
    expect(d.auditLog.entries.map((e) => e.outcome)).toEqual(['done', 'done', 'refused']);
  });

  it('audits a failed action as failed with its code, and rethrows it', async () => {
    const d = setup();
    await expect(
      runAdminAction(d, { requestId: 'r', caller: ADMIN, action: 'refresh-delegation' }, async () => {
        throw new ServiceError('LIT_UNAVAILABLE', 'no nodes');
      }),
    ).rejects.toMatchObject({ code: 'LIT_UNAVAILABLE' });
    expect(d.auditLog.entries[0]).toMatchObject({ outcome: 'failed', errorCode: 'LIT_UNAVAILABLE' });
  });

  it('does not undo a done action when its audit record cannot be written: logs it instead', async () => {
    const d = setup();
    d.auditLog.failNext = true;
    await expect(runAdminAction(d, { requestId: 'r', caller: ADMIN, action: 'mint-pkp' }, async () => 'minted')).resolves.toBe('minted');
    expect(d.logger.lines.join()).toContain('audit record not written');
  });
});
