export { startLitNodes, createNetworkIdentity, type LitNetwork, type NodeControls, type DevnetNodeInfo, type StartLitNodesOptions, type NetworkIdentity } from './network';
export { UsageLedger, type UsageSnapshot } from './usage-ledger';
export { type NodeFaults } from './faults';
export { type EndpointCounts, type NodeEndpoint, NODE_ENDPOINTS } from './lit-node';
export { NODE_ERROR_STATUS, type NodeErrorCode, type LitNodeErrorBody } from './node-error';
export { BLS_SIGNATURE_DST, sessionSigningDigest, verifyNetworkSignature, networkPublicKeyOfShares, type BlsKeyShare, type BlsNetworkKey } from './bls-network-key';
