/**
 * Metric names, declared once: the functions emit them (Powertools Metrics, EMF) and the service
 * stack's alarms read them.
 */
export const METRICS_NAMESPACE = 'LitSessionService';

export const METRIC = {
  /** Count: session sigs issued. */
  sessionSigsIssued: 'SessionSigsIssued',
  /** Count: issuances served with a cached wallet sig (no sign_session_key round). */
  walletSigCacheHit: 'WalletSigCacheHit',
  /** Count: issuances that made a sign_session_key round with the nodes. */
  walletSigNodeRound: 'WalletSigNodeRound',
  /** Count: issuance requests refused or failed, any code. */
  issueFailed: 'IssueFailed',
  /** Count: delegation refresh runs that stored a new delegation. */
  delegationRefreshed: 'DelegationRefreshed',
  /** Count: delegation refresh runs that failed. */
  delegationRefreshFailed: 'DelegationRefreshFailed',
  /** Gauge (seconds): how long the current delegation stays valid, emitted by every refresher run. */
  delegationSecondsLeft: 'DelegationSecondsLeft',
  /** Gauge (seconds): how long the capacity NFT stays valid. */
  capacitySecondsLeft: 'CapacitySecondsLeft',
  /** Count: API responses with status 429, from a metric filter on the access log (dimension ApiId, not service). */
  api429: 'Api429',
} as const;

/** The single dimension every metric carries: the configured service name. */
export const METRIC_SERVICE_DIMENSION = 'service';
