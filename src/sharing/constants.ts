/** Paid sharing: limits and defaults, each with the reason for its value. */

const MiB = 1024 * 1024;

/**
 * A peer may hold at most this many bytes it has not paid for; beyond it, it is
 * choked. This bounds what a seeder risks per peer; 16 MiB is ~1.5 s of a fast
 * tab-to-tab link, enough that a payment round trip never stalls the data.
 */
export const UNPAID_WINDOW_BYTES = 16 * MiB;
/**
 * A key's window grows by what it has paid us this session, up to this: under load a payment
 * round trip (three strict commits while the downloader writes the file) takes 1–2 s, and with the
 * acknowledgement lag it outran 16 MiB at 5 MiB/s, so the seeder choked an honest payer for ~10 %
 * of a transfer. The extra credit is earned by paying as much first, so a fresh key (a Sybil, a
 * whitewasher) still gets UNPAID_WINDOW_BYTES, and a reload starts over from it.
 */
export const MAX_UNPAID_WINDOW_BYTES = 2 * UNPAID_WINDOW_BYTES;
/**
 * An uploader proposes a payment every time this much is acknowledged: a quarter
 * of the window, so a payment settles while the rest flows (~256 pairs per GB).
 */
export const PROPOSE_EVERY_BYTES = UNPAID_WINDOW_BYTES / 4;
/**
 * A peer in debt (its balance, less what it owes us, below zero) is asked to pay at every
 * acknowledgement instead: its signed debts are what other seeders count (its head, see
 * PeerFacts.admittedNet), so a debtor drawing from n seeders at once overruns a threshold by at
 * most n − 1 acknowledgements, not n − 1 proposal steps.
 */
export const DEBTOR_PROPOSE_EVERY_BYTES = 1024 * 1024;
/**
 * How far above the threshold a peer counts as a debtor. What other seeders cannot see of its debts is,
 * per seeder, its unpaid window and two proposals in flight: 8 seeders at once (a torrent's upload
 * slots) hide at most 8 × (32 + 2 × 8) MiB = 384 MiB. Above that a payment per acknowledgement bought
 * nothing and doubled the block pairs (and the CPU) of every download.
 */
export const DEBTOR_MARGIN_BYTES = 384 * MiB;
/**
 * Proposals awaiting their agreements at once, per connection. A payment round trip is three strict
 * commits in a row (our proposal, their agreement, our copy of it), up to a second while the
 * downloader writes the file: with one at a time, what is acknowledged meanwhile waits for the next
 * round trip, and the unpaid bytes reach the window (the seeder chokes) at a few MiB/s. A second
 * proposal goes out while the first is answered; the window on what is unpaid is unchanged.
 */
export const MAX_PENDING_PROPOSALS = 2;
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

/** The block every BitTorrent client requests (WebTorrent's Piece.BLOCK_LENGTH): the unit of delivery and of blame. */
export const BLOCK_LENGTH = 16 * 1024;
/**
 * Proven hash failures (strikes) after which a supplier's wire is dropped. BitTorrent
 * clients ban on the first proven failure; a second leaves room for one corrupted
 * transfer from an honest peer and still stops a junk sender within two pieces.
 */
export const MAX_HASH_FAILURES = 2;
/**
 * Unrequested piece bytes after which a wire is dropped. An honest peer sends none
 * (WebTorrent never cancels a request, and a choke drops requests on both sides);
 * 2 MiB (128 blocks) leaves room for a client that races a cancel, and bounds what
 * a peer can make us receive for nothing.
 */
export const MAX_UNREQUESTED_BYTES = 2 * MiB;
/** Failed attempts of one piece whose block digests are kept for blame: a piece failing more often is not worth more memory. */
export const MAX_FAILED_ATTEMPTS_KEPT = 8;

/**
 * What all stock clients (no payment extension, or no proven key) may hold
 * unpaid from us, together: the newcomer allowance they share. 64 MiB is four
 * unpaid windows, enough for a stock client to fetch a few files.
 */
export const STOCK_ALLOWANCE_BYTES = 64 * MiB;
/** The stock allowance refills over an hour (~18 KiB/s), so stock clients are held back, not banned for ever. */
export const STOCK_REFILL_MS = 60 * 60 * 1000;
/**
 * A key's unpaid bytes are forgiven at one window a day. An honest peer whose
 * connection drops loses the bytes in flight, which it can never acknowledge;
 * this keeps such leftovers from banning it, while a key that never pays gets
 * no more than a fresh key would, once a day.
 */
export const UNPAID_FORGIVEN_MS = 24 * 60 * 60 * 1000;
/** Debts are written to storage at most this often (and when the page hides): a piece costs no write. */
export const DEBT_FLUSH_MS = 1_000;
/** The piece store worker answers whether it can keep files within this (it starts in well under 100 ms); silence means WebTorrent's own store. */
export const PIECE_STORE_PROBE_MS = 2_000;
