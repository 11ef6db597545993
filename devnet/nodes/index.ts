export { startLitNodes, type LitNetwork, type NodeControls, type DevnetNodeInfo, type StartLitNodesOptions } from './network';
export { type NodeFaults } from './faults';
export { type EndpointCounts, type NodeEndpoint, NODE_ENDPOINTS } from './lit-node';
export { NODE_ERROR_STATUS, type NodeErrorCode, type LitNodeErrorBody } from './node-error';
export { BLS_SIGNATURE_DST, sessionSigningDigest, verifyNetworkSignature } from './bls-network-key';
