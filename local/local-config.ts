/**
 * The service config the local stack runs: its own example (`localConfig`: the local callers, the
 * devnet as a `custom` network), or a user's config moved onto the devnet (`localizeConfig`),
 * and who calls by default.
 */
import * as path from 'node:path';
import { parseServiceConfig, type CallerPolicy, type ServiceConfig } from '../functions/commons/config';
import { findCallerPolicy } from '../functions/commons/domain/policy';
import { scheduleIntervalSeconds } from '../lib/schedule-interval';
import type { Devnet } from '../devnet';
import { LOCAL_ACCOUNT_ID } from './http-gateway';

export const LOCAL_CALLERS = {
  app: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/local-app`,
  admin: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local-admin`,
} as const;
export const LOCAL_OWNER_KEY_SECRET = 'lit-session-service/owner-key';

/** The example Lit Action `npm start` permits for its PKPs and allows its app caller to use by CID. */
export const EXAMPLE_LIT_ACTION_FILE = path.join(__dirname, 'lit-actions', 'allowlist.js');

export interface LocalPkp {
  publicKey: string;
  ethAddress: string;
  tokenId: string;
}

/** A PKP the user's policy names, and the devnet PKP that stands for it locally. */
export interface PkpMapping {
  configured: string;
  local: LocalPkp;
}

/** How often the refresher runs locally: a rate's interval; a cron's longest gap (the local scheduler has a fixed interval). */
export function scheduleToMs(expression: string): number {
  return scheduleIntervalSeconds(expression) * 1000;
}

/**
 * `npm start`'s own config. Not config/service.json: that file's callers are example ARNs of an
 * AWS account and its network a Datil one; these callers are the local ones the gateway fills in
 * (LOCAL_CALLERS), on the devnet's contracts, PKPs and capacity token.
 */
export function localConfig(devnet: Devnet, capacityTokenId: string, pkps: LocalPkp[], exampleActionCid: string): ServiceConfig {
  // Every setting not named here takes its default (CONFIG_DEFAULTS), as in a user's file.
  const contracts = Object.fromEntries(Object.entries(devnet.contractsContext.customContext).map(([k, v]) => [k, v.address]));
  return parseServiceConfig({
    lit: { network: 'custom', custom: { rpcUrl: devnet.contractsContext.rpc, contracts, blockhashUrl: devnet.blockhashUrl } },
    ownerKeySecret: LOCAL_OWNER_KEY_SECRET,
    delegation: { capacityTokenId, uses: '100000' },
    policy: {
      callers: [
        {
          principal: LOCAL_CALLERS.app,
          pkps: pkps.map((p) => p.publicKey),
          abilities: [
            { resource: 'pkp', ability: 'pkp-signing' },
            // Not lit-action-execution: an action run with these sigs could sign with any PKP the owner holds (config.ts).
            { resource: 'access-control-condition', ability: 'access-control-condition-decryption' },
          ],
          allowWildcardResources: true,
          maxExpirationSeconds: 86_400,
          rateLimitPerMinute: 600,
          // The example action by CID only: inline code stays refused (the default).
          litActions: { allowedCids: [exampleActionCid], allowInlineCode: false },
        },
        { principal: LOCAL_CALLERS.admin, admin: true },
      ],
    },
  });
}

/** The distinct PKP public keys a config's policy names, in order of first appearance (`*` aside). */
export function policyPkps(config: ServiceConfig): string[] {
  const keys: string[] = [];
  for (const caller of config.policy.callers) for (const k of caller.pkps) if (k !== '*' && !keys.includes(k)) keys.push(k);
  return keys;
}

/**
 * A user's config as it runs on the devnet. Replaced: the `lit` network (by the devnet's, a
 * `custom` network; the connect timeout and attempts are kept), `delegation.capacityTokenId` (by
 * the token minted on the devnet), and every PKP the policy names (by the devnet PKP `mapping`
 * gives it: the n-th distinct key by the n-th minted PKP). Everything else is the user's as
 * written: callers and their rights, `*` PKPs, delegation lifetime, margin, uses, delegatees and
 * schedule, session, API limits, the owner-key secret name (the stand-in serves the devnet owner's
 * key under it). Validated again by the same parser.
 */
export function localizeConfig(user: ServiceConfig, local: ServiceConfig, mapping: readonly PkpMapping[]): ServiceConfig {
  const byKey = new Map(mapping.map((m) => [m.configured, m.local.publicKey]));
  return parseServiceConfig({
    ...user,
    lit: { ...local.lit, connectTimeoutMs: user.lit.connectTimeoutMs, connectAttempts: user.lit.connectAttempts },
    delegation: { ...user.delegation, capacityTokenId: local.delegation.capacityTokenId },
    policy: {
      callers: user.policy.callers.map((c) => ({
        ...c,
        pkps: c.pkps.map((k) => {
          if (k === '*') return k;
          const mapped = byKey.get(k);
          if (!mapped) throw new Error(`no devnet PKP stands for ${k}`);
          return mapped;
        }),
      })),
    },
  });
}

/**
 * Who `npm start` calls as by default, and who the admin is. With a user config: its first
 * non-admin (then admin) policy entry, as an ARN it matches: the principal itself, or a pattern
 * with each `*` read as `local` (`…:assumed-role/app-backend-*` → `…:assumed-role/app-backend-local`)
 * when that ARN gets this very entry. Else the local callers.
 */
export function callersFor(user: ServiceConfig | undefined): { app: string; admin: string } {
  if (!user) return { ...LOCAL_CALLERS };
  const arnOf = (entry: CallerPolicy): string | undefined => {
    const arn = entry.principal.replace(/\*/g, 'local');
    return findCallerPolicy(user.policy, arn) === entry ? arn : undefined;
  };
  const first = (admin: boolean) =>
    user.policy.callers
      .filter((c) => c.admin === admin)
      .map(arnOf)
      .find((a) => a !== undefined);
  return { app: first(false) ?? first(true) ?? LOCAL_CALLERS.app, admin: first(true) ?? LOCAL_CALLERS.admin };
}
