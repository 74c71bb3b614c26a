/** Paid sharing: limits and defaults, each with the reason for its value. */

const MiB = 1024 * 1024;

/**
 * A peer may hold at most this many bytes it has not paid for; beyond it, it is
 * choked. This bounds what a seeder risks per peer; 16 MiB is ~1.5 s of a fast
 * tab-to-tab link, enough that a payment round trip never stalls the data.
 */
export const UNPAID_WINDOW_BYTES = 16 * MiB;
/**
 * An uploader proposes a payment every time this much is acknowledged: a quarter
 * of the window, so a payment settles while the rest flows (~256 pairs per GB).
 */
export const PROPOSE_EVERY_BYTES = UNPAID_WINDOW_BYTES / 4;
/** Below this, a final settlement is not worth a block pair (a few small pieces). */
export const MIN_SETTLEMENT_BYTES = 64 * 1024;
/** A downloader acknowledges verified bytes at least this often, so proposals follow the data. */
export const ACK_EVERY_BYTES = 1 * MiB;

export interface PolicyConfig {
  /** Peers whose balance (bytes given minus taken) is below this are refused. */
  thresholdBytes: bigint;
  /** Share of upload slots reserved for newcomers (short chains, stock clients). */
  newcomerShare: number;
  /** Simultaneously unchoked peers per torrent. */
  uploadSlots: number;
  /** A chain shorter than this marks a newcomer (possibly a Sybil or a whitewasher). */
  newcomerChainLength: number;
  /** Peers without the payment extension (stock WebTorrent): serve them from newcomer slots, or refuse. */
  stockPeers: 'serve' | 'refuse';
}

export const DEFAULT_POLICY: PolicyConfig = {
  /** A newcomer may download 512 MiB before it must give back. */
  thresholdBytes: -512n * BigInt(MiB),
  /** Tribler kept 5 of 20 slots random; a quarter keeps newcomers able to start without letting them take the swarm. */
  newcomerShare: 0.25,
  /** WebTorrent's own default is 10; 8 keeps per-peer rates useful on a phone uplink. */
  uploadSlots: 8,
  newcomerChainLength: 5,
  stockPeers: 'serve',
};

/** Name of our BEP 10 extension on the BitTorrent wire. */
export const PAY_EXTENSION = 'trustmesh_pay';
