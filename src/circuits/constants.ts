/** Onion circuits: protocol id and limits, each with the reason for its value. */
import { SIGN_REQUEST_SPAN_MS } from '../ledger/constants.ts';

/** One long-lived stream per direct connection carries every circuit between the two peers. */
export const CIRCUIT_PROTOCOL = '/trustmesh/circuits/4.0.0';

/** Tribler's range: 1 hop hides the ends from each other; 3 hops resists a colluding pair of relays. */
export const MAX_HOPS = 3;
/** A circuit's path: up to MAX_HOPS relays, then the far end (a rendezvous point or a probe's sink). */
export const MAX_PATH_LENGTH = MAX_HOPS + 1;
/**
 * Largest data payload in one cell. Big cells amortise the per-message cost of
 * WebCrypto calls and of WebRTC data channels (on Tor's 509 bytes both would
 * dominate); with every layer's overhead a cell stays inside one libp2p
 * WebRTC message (NODE_LIMITS.webRtcMaxMessageSize).
 */
export const MAX_DATA_BYTES = 180 * 1024;
/**
 * Sizes of onion cells (cell-wire.ts): every cell is padded, inside its innermost
 * layer, to the smallest that holds it under MAX_PATH_LENGTH layers, so relays
 * and link observers learn only the class, never the payload size. Few classes
 * leak little; the smaller ones keep padding cheap for short messages.
 */
/** Every control command (the largest, establish-intro with a full descriptor, is 469 bytes) and keepalives. */
export const CELL_SIZE_CONTROL = 640;
/** Short messages: exit stream control and ledger messages passed to an exit. */
export const CELL_SIZE_SHORT = 4 * 1024;
/**
 * A 16 KiB BitTorrent block with its message, stream and end-to-end headers, and little more:
 * hidden and exit transfers send one block a cell, and each hop is paid for the padding too
 * (at 20 KiB the padding cost a hidden seeder a quarter of what it earned).
 */
export const CELL_SIZE_BLOCK = 16 * 1024 + 512;
/** A full data cell: MAX_DATA_BYTES, its headers and every layer, with room to spare. */
export const CELL_SIZE_FULL = MAX_DATA_BYTES + 1024;
export const CELL_SIZES: readonly number[] = [CELL_SIZE_CONTROL, CELL_SIZE_SHORT, CELL_SIZE_BLOCK, CELL_SIZE_FULL];
/** Largest link frame: a full data cell (whose onion keeps its size along the path), and room to spare. */
export const MAX_FRAME_BYTES = 184 * 1024;
/** Circuits a peer relays at once, over all links. */
export const MAX_RELAYED_CIRCUITS = 256;
/** A circuit is torn down after this long, as Tribler's 10 minutes: long-lived circuits are easier to correlate. */
export const CIRCUIT_LIFETIME_MS = 10 * 60_000;
/** A circuit may carry at most this much; then a fresh one is built (Tribler: 250 MiB stalled downloads at 55 MB). */
export const MAX_CIRCUIT_BYTES = 1024 * 1024 * 1024;
/** The originator sends a keepalive this often when idle, so relays can drop circuits whose originator vanished. */
export const KEEPALIVE_MS = 10_000;
/** A relay drops a circuit with no traffic for this long (three missed keepalives). */
export const IDLE_TIMEOUT_MS = 3 * KEEPALIVE_MS;
/** A create or extend that gets no answer within this fails, and the hop is tried elsewhere. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Cells that fail authentication on one circuit before the relay gives up on it. */
export const MAX_BAD_CELLS_PER_CIRCUIT = 64;
/**
 * Bytes a link may have sent that the other side has not yet processed.
 * WebRTC has no receive-side flow control and libp2p resets a stream whose
 * read buffer passes 4 MiB, so a sender must wait for credit well before that.
 */
export const LINK_WINDOW_BYTES = 1024 * 1024;
/** The receiver returns credit after processing this much (a quarter window keeps the pipe full). */
export const LINK_CREDIT_EVERY_BYTES = LINK_WINDOW_BYTES / 4;

/**
 * Each hop is paid one token per byte it carried (both directions); the
 * originator pays for its whole path, in one payment each time the circuit
 * has carried this many more bytes.
 */
export const PAYOUT_EVERY_BYTES = 4 * 1024 * 1024;
/**
 * Each payment waits for a random extra share of PAYOUT_EVERY_BYTES up to this
 * fraction, so payment timing does not mark out a flow.
 */
export const PAYOUT_JITTER = 0.5;
/**
 * A relay carries at most this many bytes of a circuit beyond what it was paid
 * for, then cuts the circuit. Payments reach the last hop of a 3-relay path
 * through three countersigned payouts in turn (~2 s measured in tabs), so at
 * ~15 MiB/s this is what is in flight, and no more.
 */
export const RELAY_UNPAID_WINDOW_BYTES = 32 * 1024 * 1024;
/**
 * Payments of one flow a payer keeps under way at once (the originator's to
 * its first hop, a relay's passing them on). A payment is a ledger round trip
 * with strict commits on both ends (~0.3–2 s in tabs), in which a 1-hop
 * circuit carries 5–30 MiB: each step's payment starts when it is due, while
 * earlier ones are still on their way, rather than after them. Hops past the
 * first are paid only once the first hop has its payment, so they trail by a
 * round trip plus the gap between two payments' starts: four cover round
 * trips of up to four steps (~25 MiB) inside the window.
 */
export const PAYMENTS_IN_FLIGHT = 4;
/**
 * A payment that was not countersigned (a timeout under load, a refusal that
 * raced its announcement) is tried again after this, then twice as long, and
 * so on: at the end of a transfer no later step would carry it, and the hop
 * would stay unpaid for what it carried.
 */
export const PAYMENT_RETRY_MS = 2_000;
/** Tries after a failed payment before it is left to the next step (a payee that keeps refusing is not pestered). */
export const PAYMENT_RETRIES = 5;
/** How long a payer's proposal may wait to be signed behind its chain's other commits (strict, one at a time) under load. */
export const PAYOUT_SIGN_TURN_MS = 7_000;
/** How long a failed payment's tries take in all: PAYMENT_RETRY_MS, then twice that, … PAYMENT_RETRIES times (30 s). */
export const PAYMENT_TRIES_SPAN_MS = (PAYMENT_RETRY_MS * PAYMENT_RETRIES * (PAYMENT_RETRIES + 1)) / 2;
/**
 * Times one signed payout's agreement is asked for (each after the ledger's own retries) before the payment
 * counts as failed: a signed proposal is a debit whether or not it is countersigned, so under load it is asked
 * for again rather than signed anew (which paid twice).
 */
export const UNANSWERED_PAYOUT_ATTEMPTS = 4;
/**
 * A payout announced on the circuit link (its `payout` frame, which travels
 * in order with the cells it pays for) counts as paid for this long while its
 * proposal is countersigned: a relay does not cut a payer whose payment is on
 * its way. That is the payer's own signing, which waits its turn behind its
 * chain's other commits (PAYOUT_SIGN_TURN_MS), and the whole time the ledger
 * asks for an agreement (SIGN_REQUEST_SPAN_MS): a relay under load answers
 * late and must not hold its own slowness against the payer (at 20 s, a
 * payer whose first request timed out at a busy relay lapsed there before the
 * answer came). A key that lets one lapse gets no such credit until it pays
 * it; what announcing and never paying gains is bounded in bytes
 * (MAX_IN_FLIGHT_CREDIT_BYTES), not in time, so waiting longer costs a relay
 * nothing more.
 */
export const PAYOUT_IN_FLIGHT_MS = PAYOUT_SIGN_TURN_MS + SIGN_REQUEST_SPAN_MS;
/**
 * The most that payouts announced but not yet countersigned may count for, on
 * a circuit or a key: a payer that announces and never pays gets one more
 * window, once, for PAYOUT_IN_FLIGHT_MS at most.
 */
export const MAX_IN_FLIGHT_CREDIT_BYTES = RELAY_UNPAID_WINDOW_BYTES;
/**
 * A relay passes on ahead, of what a circuit's previous hop announced but has
 * not paid yet, at most this many tokens per byte of the circuit that no
 * payment covers yet (relay-payments.ts passOn): an originator pays one token
 * a byte for each hop of its longest path. Scaled to the bytes, not a fixed
 * sum, so payments that take seconds under load still travel ahead on any
 * path; what a key that announces and never pays costs a relay this way is
 * then bounded by its unpaid bytes, which its window bounds, once (its
 * announcements then lapse).
 */
export const FRONTED_TOKENS_PER_BYTE = MAX_PATH_LENGTH;
/**
 * The most a paying originator's circuit is behind between two of its steps:
 * it pays once PAYOUT_EVERY_BYTES plus up to PAYOUT_JITTER of it have passed.
 */
export const PAYOUT_STEP_MAX_BYTES = PAYOUT_EVERY_BYTES * (1 + PAYOUT_JITTER);
/**
 * An honest circuit's final payment, passed on hop by hop, arrives within this
 * of its close (~2 s measured in tabs); well inside PAYOUT_GRACE_MS.
 */
export const FINAL_PAYMENT_WAIT_MS = 10_000;
/*
 * Debt follows the key (relay-debt.ts): a relay adds up what each neighbour
 * owes over all its circuits, closed ones too, and across reloads. An honest
 * payer is behind by up to a step on every circuit at once (each circuit pays
 * on its own count, and an idle one stays a step behind until it closes),
 * plus what is in flight while payments travel, which the link's throughput
 * bounds whatever the number of circuits. So a key may owe
 * RELAY_UNPAID_WINDOW_BYTES plus PAYOUT_STEP_MAX_BYTES for each of its
 * circuits that is open, or closed (not cut for debt) within
 * FINAL_PAYMENT_WAIT_MS, as its final payment may be on its way. A key that
 * never pays gets that once (a step per circuit it holds at once, which
 * MAX_CIRCUITS_PER_NEIGHBOUR bounds), then is cut and refused until it pays,
 * whatever it rebuilds.
 */
/**
 * A relay pays the next hop of a closed circuit for what it carried, paid or
 * not (debt is hop by hop), once the final payment had its time, and still
 * inside the next hop's PAYOUT_GRACE_MS.
 */
export const RELAY_LIABLE_AFTER_MS = FINAL_PAYMENT_WAIT_MS;
/**
 * A key's debt is forgiven at one RELAY_UNPAID_WINDOW_BYTES per this: a final
 * payment lost when a relay reloads or a link drops (it finds no circuit to
 * credit) must not mark an honest payer for ever; a key that never pays gets
 * ~390 B/s from it, once its window is used up.
 */
export const RELAY_DEBT_FORGIVEN_MS = 24 * 60 * 60 * 1000;
/** A key's debt is written to storage this long after it changes, so one write carries many cells' counts. */
export const RELAY_DEBT_FLUSH_MS = 1_000;
/** Keys whose debt a relay keeps: bounds storage a flood of fresh keys can take; the smallest debts go first. */
export const MAX_RELAY_DEBTORS = 4096;
/** Payment notices a neighbour may have outstanding with us. */
export const MAX_PENDING_PAYOUTS = 64;
/** A payout proposal waits this long for its announcement, which travels behind up to a link window of cells. */
export const PAYOUT_ANNOUNCE_WAIT_MS = 5_000;
/**
 * A torn-down circuit still accepts payments for this long: the payment a
 * relay before it owes for what it carried (RELAY_LIABLE_AFTER_MS after the
 * close) and every try of it, each of which may wait its signing turn and for
 * its announcement. At 30 s, a payment whose first try failed under load was
 * refused at every later try, and a hop stayed unpaid for good.
 */
export const PAYOUT_GRACE_MS = RELAY_LIABLE_AFTER_MS + PAYMENT_TRIES_SPAN_MS + (PAYMENT_RETRIES + 1) * (PAYOUT_SIGN_TURN_MS + PAYOUT_ANNOUNCE_WAIT_MS);
/** A payout with no announcement pays at least this, or all its payer owes us: each is a block we countersign, so a debtor's dust cannot fill our chain (a window of debt is at most 512 of them). */
export const UNANNOUNCED_PAYOUT_MIN_TOKENS = 64 * 1024;
/** A relay passes a payment on after a random pause of up to this, so the two are not matched by timing alone. */
export const PASS_ON_DELAY_MAX_MS = 250;
/** When full, newcomers (unverified or short chains: possible Sybils) may hold this share of relay places. */
export const RELAY_NEWCOMER_SHARE = 0.25;
/** A requester whose chain is shorter than this is a newcomer. */
export const RELAY_NEWCOMER_CHAIN_LENGTH = 5;
/** Circuits a rendezvous point holds waiting for their other end: bounds state a stranger can park here. */
export const MAX_RENDEZVOUS = 64;
/** How long one end waits at a rendezvous point for the other, at the client and (whatever the client does) at the point. */
export const RENDEZVOUS_WAIT_MS = 60_000;
/** Hidden services one introduction point serves at once. */
export const MAX_INTROS = 64;
/**
 * One neighbour's share of each table, counted by key across all its streams and
 * connections: a quarter, so at least four neighbours are needed to fill one.
 */
export const MAX_CIRCUITS_PER_NEIGHBOUR = MAX_RELAYED_CIRCUITS / 4;
export const MAX_RENDEZVOUS_PER_NEIGHBOUR = MAX_RENDEZVOUS / 4;
export const MAX_INTROS_PER_NEIGHBOUR = MAX_INTROS / 4;
/**
 * A relayed circuit that carried less than IDLE_PLACE_BYTES in IDLE_PLACE_MS
 * gives its place up when a table is full: keepalives (a control-size cell
 * every 10–20 s, a few KiB a minute) keep a circuit from the idle timeout, not its place for 10 minutes
 * against one that will carry data.
 */
export const IDLE_PLACE_MS = 2 * 60_000;
export const IDLE_PLACE_BYTES = 64 * 1024;

/** A relay announcement stands this long; a relay that vanished drops out of every directory by then. */
export const ANNOUNCEMENT_TTL_MS = 10 * 60_000;
/** A relay signs a fresh announcement this often, well inside the TTL so one lost round does not drop it. */
export const REANNOUNCE_MS = 3 * 60_000;
/** Announcements dated further ahead than this are refused: browser clocks drift, but not by minutes. */
export const ANNOUNCEMENT_MAX_SKEW_MS = 2 * 60_000;
/** Relays one peer keeps announcements of: a large neighbourhood, and a bound on what a flood can make us hold. */
export const MAX_KNOWN_RELAYS = 1024;
/** A circuit build waits at most this long for the first exchange with newly connected peers. */
export const ANNOUNCEMENT_SETTLE_MS = 5_000;
/** After a circuit loses a hop, its relays are avoided this long: a closed tab's connection can take ~30 s to time out. */
export const SUSPECT_RELAY_MS = 60_000;
/**
 * A relay's queue of a circuit whose head has waited this long for the next link cuts its circuit
 * (checked at each sweep): the next hop stopped reading its link, and the queue would hold a window
 * of the circuit's cells until its lifetime. Rings of circuits no longer deadlock (a link's reader
 * never waits for another link: relay-queue.ts), so this only frees a stuck hop's memory. As long as
 * the idle timeout, so a slow but moving hop (a low upload cap) is never cut for it.
 */
export const FORWARD_STALL_MS = IDLE_TIMEOUT_MS;
/*
 * End-to-end flow control per circuit, as Tor's SENDMEs (circuit-window.ts). Tor counts cells
 * (window 1000, a SENDME per 100: ~500 KB); our cells come in four size classes from 640 B to
 * 181 KiB, so the window counts the size class of each data cell in bytes: a flow of block cells
 * and one of full cells get the same bytes in flight, and a relay's queue of a circuit is bounded
 * in bytes whatever cells it carries.
 */
/**
 * Data a circuit end may have sent that the other end has not acknowledged. It must cover a path's
 * bandwidth-delay product (~15 MiB/s over a 3-hop round trip of ~100 ms in tabs is 1.5 MiB), and
 * it is what a relay may have to hold per circuit and direction when the next hop is slower (up to
 * MAX_RELAYED_CIRCUITS of them): 2 MiB, twice a link window.
 */
export const CIRCUIT_WINDOW_BYTES = 2 * 1024 * 1024;
/**
 * What a circuit stream's writer (a BitTorrent wire) may queue while the batch before goes out: a few
 * full cells, so the next batch can fill them. At streamx's default of 16 KiB a writer that respects
 * back-pressure queued one block per batch: a block cell and a round of WebCrypto calls per 16 KiB.
 * Half a circuit window bounds it per connection.
 */
export const STREAM_WRITE_BUFFER_BYTES = CIRCUIT_WINDOW_BYTES / 2;
/**
 * A circuit stream holds its writes until they fill a full cell or the writer pauses this long
 * (write-coalescer.ts). A seeder answers a burst of requests with blocks read over a few ms, and
 * the downloader's requests come a few per arriving cell: 10 ms spans a burst (3 ms split them:
 * 0.72–0.92 against 0.99–1.01 MiB/s in alternated runs). Sent as written, one or two blocks a
 * cell, a hidden download took 1.3–1.8 times the CPU per byte (bench/circuits.ts).
 */
export const STREAM_COALESCE_GAP_MS = 10;
/**
 * No written byte waits longer than this for a full cell: a trickle of writes (requests, pay
 * messages) leaves at this pace. WebTorrent keeps half a second or more of requests outstanding,
 * so this costs no rate; holding every write 100 ms instead of 40 lowered it (0.83 against 0.93 MiB/s).
 */
export const STREAM_COALESCE_MAX_HOLD_MS = 50;
/**
 * A receiving end sends a `sendme` each time it delivered this much more (Tor: a tenth of the
 * window; an eighth here, one small control cell per 256 KiB). At least a full cell, so one cell
 * completes at most one step.
 */
export const SENDME_EVERY_BYTES = 256 * 1024;
/**
 * What a relay queues for a circuit beyond its window before it cuts it: control cells travel
 * outside the window (sendmes, keepalives, a build's commands), a few hundred of them at most.
 */
export const CIRCUIT_QUEUE_SLACK_BYTES = 256 * 1024;
/**
 * How long after the originator learns a hop was paid (its own countersigned payment, or the
 * hop's receipt) the next hop's receipt must show the tokens passed on (payment-receipts.ts): a
 * pass-on waits up to PASS_ON_DELAY_MAX_MS, takes a ledger round trip (~0.3–2 s in tabs, more
 * under load) and, failing, is tried PAYMENT_RETRIES times over PAYMENT_TRIES_SPAN_MS; twice that.
 */
export const RECEIPT_GRACE_MS = 2 * PAYMENT_TRIES_SPAN_MS;
/**
 * What a hop may keep beyond its share as the originator bounds it (the circuit's cell bytes
 * when the hop's receipt arrived) before it counts as a keeper: a payment step, and the cells a
 * full path of link windows may hold that the hop counted and the originator not yet.
 */
export const RECEIPT_TOLERANCE_BYTES = PAYOUT_STEP_MAX_BYTES + MAX_PATH_LENGTH * LINK_WINDOW_BYTES;
/**
 * A circuit cut for being unpaid gets no more receipts. The next hop cut it only after carrying a
 * window unpaid, and an honest relay announces each pass-on as it starts (counted as paid while it
 * travels): a hop paid before the last half-window of the circuit's bytes should have passed it on.
 */
export const RECEIPT_CUT_MARGIN_BYTES = RELAY_UNPAID_WINDOW_BYTES / 2;
/** And that long before the cut: an honest pass-on is a ledger round trip (~2 s), as for a final payment. */
export const RECEIPT_CUT_MARGIN_MS = FINAL_PAYMENT_WAIT_MS;
/** A relay found keeping payments is avoided for new paths this long (circuit-service.ts; in memory). */
export const KEEPER_AVOID_MS = 24 * 60 * 60_000;
/** Receipts kept per hop of one circuit (one per payment credited; a 1 GiB circuit pays ~200 times). */
export const MAX_RECEIPTS_PER_HOP = 1024;
/**
 * Backward cells that carried nothing for the originator (padding `drop`s, which no honest hop sends
 * back; cells no layer opens; data from a hop that is not the far end; receipts past what its payments
 * explain; answers nobody waits for) that a circuit may bring beyond BACKWARD_WASTE_SHARE of its useful
 * cells before the originator closes it: every hop is paid for every cell, so a hostile relay could
 * otherwise run up its originator's bill at will. A few hundred control cells; an honest path sends none.
 */
export const BACKWARD_WASTE_ALLOWANCE_BYTES = 1024 * 1024;
/** Useful backward bytes that allow one more wasted byte (see BACKWARD_WASTE_ALLOWANCE_BYTES). */
export const BACKWARD_WASTE_SHARE = 16;
/** Receipts a hop may send per payment we started (a payment may reach it passed on in a few parts), and a few more. */
export const RECEIPTS_PER_PAYMENT = 4;
export const RECEIPTS_SLACK = 8;
