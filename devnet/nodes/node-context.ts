import type { ChainView } from '../chain/chain-view';
import type { BlsKeyShare } from './bls-network-key';
import type { UsageLedger } from './usage-ledger';

/** What one node's request handlers need: its identity, its key share, and the network it is in. */
export interface NodeContext {
  /** 0-based position in the network; also the ECDSA share index. */
  index: number;
  /** `http://127.0.0.1:<port>`: what the SDK puts in a session sig's `nodeAddress`. */
  url: string;
  blsShare: BlsKeyShare;
  networkPublicKeyHex: string;
  chainView: ChainView;
  /** Whether pkpSign needs a capacity delegation (Lit's paid networks) or not (datil-dev). */
  requirePayment: boolean;
  /** How many nodes sign a pkpSign request: the SDK waits for, and sums, every connected node's share. */
  signerCount(): number;
  /** The current epoch; requests may carry it or the one before (the SDK sends epoch - 1 near a boundary). */
  currentEpoch(): number;
  usage: UsageLedger;
  /** Verified BLS signatures, shared by the nodes so that each pairing check runs once. */
  blsVerified: Set<string>;
  /** Clock, in ms; a test can move it. */
  now(): number;
}
