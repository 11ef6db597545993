export {
  startLitNodes,
  createNetworkIdentity,
  type LitNetwork,
  type NodeControls,
  type DevnetNodeInfo,
  type StartLitNodesOptions,
  type NetworkIdentity,
} from './network';
export { UsageLedger, type UsageSnapshot } from './usage-ledger';
export { type NodeFaults } from './faults';
export { type EndpointCounts, type NodeEndpoint, NODE_ENDPOINTS } from './lit-node';
export { DEVNET_NOT_EMULATED, type NodeErrorCode, type LitNodeErrorBody } from './node-error';
export { REAL_ERROR_CODES, KIND_TEXT, type RealErrorCodeName } from './real-error-codes';
export {
  BLS_SIGNATURE_DST,
  sessionSigningDigest,
  verifyNetworkSignature,
  networkPublicKeyOfShares,
  type BlsKeyShare,
  type BlsNetworkKey,
} from './bls-network-key';
export { litActionCid, LitActionStore, REAL_NODE_ACTION_LIMITS, type LitActionLimits } from './lit-action/runtime';
