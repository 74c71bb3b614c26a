/**
 * Who kept the payment (pure; clock and signature check injected). The
 * originator pays its first hop for the whole path and each hop passes on
 * what exceeds its share (relay-payments.ts passOn); each hop, credited,
 * signs the originator a receipt of what it received so far (receipt-wire.ts).
 * A relay that keeps what it should pass on is cut by the hop after it, but
 * only these receipts tell the originator which relay it was.
 *
 * The rule, hop by hop from the first: hop i, shown to have received X (our
 * own countersigned payment at the first hop, its signed receipt after that),
 * keeps at most one token per byte it carried, which is at most the cell
 * bytes we counted through our first link when we learnt of X (each hop sees
 * the same cells, a layer smaller). So once the next hop has had
 * RECEIPT_GRACE_MS to be paid and say so, its receipts must show at least
 * X - those bytes - RECEIPT_TOLERANCE_BYTES. The first hop where they show
 * less is the keeper; a first hop whose receipts show less than we paid it
 * is one too. No honest path is flagged: every bound is one an honest hop
 * keeps (checked with slow and failing payments in circuit-receipts.test.ts).
 *
 * A receipt arrives only while the circuit is open. Open, or closed after
 * the grace: as above. Cut for being unpaid: the next hop carried a window
 * unpaid first, so what a hop received both RECEIPT_CUT_MARGIN_MS and
 * RECEIPT_CUT_MARGIN_BYTES before the cut counts, grace or not (else a keeper
 * would always be cut, unnamed, before its grace ran out). On a fast path
 * (32 MiB in ~2 s) a keeper is cut before either margin passes, and stays
 * unnamed: the originator cannot tell its keeping from an honest pass-on
 * still under way at the cut.
 *
 * What the originator cannot tell: a next hop that was not paid and one that
 * was paid and signs nothing look alike; so do a keeper and a next hop that
 * signs less than it got. Either way the finding names hop i, whose ledger
 * holds the next hop's countersigned payout if it did pay: the evidence
 * below is what a third party would weigh against that.
 */
import { bytesEqual } from '../codec/bytes.ts';
import { DecodeError } from '../codec/binary.ts';
import { MAX_RECEIPTS_PER_HOP, RECEIPT_CUT_MARGIN_BYTES, RECEIPT_CUT_MARGIN_MS, RECEIPT_GRACE_MS, RECEIPT_TOLERANCE_BYTES } from './constants.ts';
import type { DestroyReason } from './cell-wire.ts';
import type { Verify } from './descriptors.ts';
import { decodeReceipt, receiptSigningBytes } from './receipt-wire.ts';

const TOLERANCE = BigInt(RECEIPT_TOLERANCE_BYTES);

/** What a party of the path is shown to have received on the circuit, and when we learnt it. */
export interface Received {
  /** Tokens, cumulative on this circuit. */
  amount: bigint;
  /** Our clock, and our first link's cell bytes on the circuit, when we learnt it. */
  at: number;
  onionBytes: number;
  /**
   * The most of those bytes its share can cover, when we know better than `onionBytes`: at the
   * first hop, our bytes when we last started a payment (its share covers what our payout
   * frames found it had carried, and those travel in order with our cells).
   */
  covers?: number;
  /** The hop's signed receipt (encoded); none for our own countersigned payment to the first hop. */
  receipt?: Uint8Array;
}

/** What the originator knows of a circuit's payments. */
export interface PaymentRecord {
  /** Hops of the path, in order. */
  hops: readonly Uint8Array[];
  /** Our countersigned payments to the first hop while the circuit was open (cumulative). */
  paid: readonly Received[];
  /** Each hop's valid receipts, in arrival order. */
  receipts: readonly (readonly Received[])[];
  /** How the circuit ended, and its cell bytes then; undefined while open. */
  ended?: { at: number; onionBytes: number; reason: DestroyReason | 'closed' };
}

export interface KeeperFinding {
  /** The hop that kept tokens: its place on the path and its key. */
  index: number;
  keeper: Uint8Array;
  /**
   * 'kept': its next hop signed it received less than it should have been passed;
   * 'next-silent': its next hop signed no receipt at all; 'unacknowledged': the
   * first hop signed less than we paid it (or nothing).
   */
  kind: 'kept' | 'next-silent' | 'unacknowledged';
  /** What it was shown to receive: its signed receipt (none: our countersigned payment to it). */
  received: { amount: bigint; receipt?: Uint8Array };
  /** What the next hop signed it received from it (none at the first hop, or when it signed nothing). */
  passedOn: { amount: bigint; receipt?: Uint8Array };
  /** The least it should have passed on (or, at the first hop, acknowledged). */
  expected: bigint;
}

/**
 * The first hop of the record that kept a payment, as of `now`, or undefined.
 * Pure: the record holds only receipts already checked (ReceiptBook.receive).
 */
export function findKeeper(record: PaymentRecord, now: number): KeeperFinding | undefined {
  const { ended } = record;
  const until = Math.min(now, ended?.at ?? now);
  const cutBefore = (e: Received): boolean => ended?.reason === 'unpaid' && e.at + RECEIPT_CUT_MARGIN_MS <= ended.at && e.onionBytes + RECEIPT_CUT_MARGIN_BYTES <= ended.onionBytes;
  const due = (e: Received): boolean => e.at + RECEIPT_GRACE_MS <= until || cutBefore(e);
  for (let payer = -1; payer < record.hops.length - 1; payer++) {
    const payee = payer + 1;
    let expected = 0n;
    let basis: Received | undefined;
    for (const e of payer < 0 ? record.paid : (record.receipts[payer] ?? [])) {
      if (!due(e)) continue;
      // A relay keeps at most the bytes it carried; the first hop must acknowledge all we paid.
      const should = payer < 0 ? e.amount : e.amount - BigInt(e.covers ?? e.onionBytes) - TOLERANCE;
      if (should > expected) [expected, basis] = [should, e];
    }
    if (basis === undefined) continue;
    let got: Received | undefined;
    for (const e of record.receipts[payee] ?? []) if (got === undefined || e.amount > got.amount) got = e;
    if ((got?.amount ?? 0n) >= expected) continue;
    const evidence = (e: Received) => ({ amount: e.amount, ...(e.receipt === undefined ? {} : { receipt: e.receipt }) });
    const passedOn = got === undefined ? { amount: 0n } : evidence(got);
    const received = evidence(basis);
    if (payer < 0) return { index: 0, keeper: record.hops[0]!, kind: 'unacknowledged', received, passedOn: { amount: 0n }, expected };
    return { index: payer, keeper: record.hops[payer]!, kind: got === undefined ? 'next-silent' : 'kept', received, passedOn, expected };
  }
  return undefined;
}

/** Why a receipt was not taken; 'ok' when it was. */
export type ReceiptOutcome = 'ok' | 'malformed' | 'wrong-hop' | 'other-circuit' | 'wrong-payer' | 'forged' | 'ended';

/**
 * An originator's record of one circuit's payments and receipts: checks each
 * receipt against the hop it came from (its layer), and reports a keeper once.
 */
export class ReceiptBook {
  private readonly paidPoints: Received[] = [];
  private readonly receipts: Received[][] = [];
  private ended: PaymentRecord['ended'];
  private reported = false;

  constructor(
    private readonly deps: {
      /** Our identity: the payer of the first hop. */
      ownKey: Uint8Array;
      /** The path's hops so far: each one's key and circuit binding. */
      hops: () => readonly { key: Uint8Array; binding: Uint8Array }[];
      verify: Verify;
    },
  ) {}

  /** Our payments to the first hop, `total` of them countersigned so far. */
  paid(total: bigint, at: number, onionBytes: number): void {
    if (this.ended === undefined) this.paidPoints.push({ amount: total, at, onionBytes });
  }

  /** A receipt from hop `index` (the one whose layer it came under); `paidThrough`: our bytes when we last started a payment. */
  receive(index: number, bytes: Uint8Array, at: number, onionBytes: number, paidThrough = onionBytes): ReceiptOutcome {
    if (this.ended !== undefined) return 'ended';
    const hops = this.deps.hops();
    const hop = hops[index];
    if (hop === undefined) return 'wrong-hop';
    let r;
    try {
      r = decodeReceipt(bytes);
    } catch (err) {
      if (err instanceof DecodeError) return 'malformed';
      throw err;
    }
    // Cheap checks before the signature: a receipt for another hop or circuit costs no curve work.
    if (!bytesEqual(r.hop, hop.key)) return 'wrong-hop';
    if (!bytesEqual(r.binding, hop.binding)) return 'other-circuit';
    if (!bytesEqual(r.payer, index === 0 ? this.deps.ownKey : hops[index - 1]!.key)) return 'wrong-payer';
    if (!this.deps.verify(r.signature, receiptSigningBytes(r), r.hop)) return 'forged';
    const list = (this.receipts[index] ??= []);
    if (list.length >= MAX_RECEIPTS_PER_HOP) list.shift();
    list.push({ amount: r.received, at, onionBytes, ...(index === 0 ? { covers: Math.min(paidThrough, onionBytes) } : {}), receipt: bytes });
    return 'ok';
  }

  /** The circuit ended: no receipt comes any more. */
  end(at: number, onionBytes: number, reason: DestroyReason | 'closed'): void {
    this.ended ??= { at, onionBytes, reason };
  }

  /** Valid receipts per hop so far (diagnostics, tests). */
  receiptCounts(): number[] {
    return this.deps.hops().map((_, i) => this.receipts[i]?.length ?? 0);
  }

  /** The record as it stands. */
  record(): PaymentRecord {
    return { hops: this.deps.hops().map((h) => h.key), paid: this.paidPoints, receipts: this.receipts, ...(this.ended === undefined ? {} : { ended: this.ended }) };
  }

  /** A keeper found as of `now`, the first time only. */
  check(now: number): KeeperFinding | undefined {
    if (this.reported) return undefined;
    const finding = findKeeper(this.record(), now);
    if (finding !== undefined) this.reported = true;
    return finding;
  }
}
