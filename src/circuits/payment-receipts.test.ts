import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519, verifyEd25519 } from '../crypto/signature.ts';
import { RECEIPT_CUT_MARGIN_BYTES, RECEIPT_CUT_MARGIN_MS, RECEIPT_GRACE_MS, RECEIPT_TOLERANCE_BYTES } from './constants.ts';
import { findKeeper, ReceiptBook, type PaymentRecord, type Received } from './payment-receipts.ts';
import { encodeReceipt, receiptSigningBytes, type ReceiptBody } from './receipt-wire.ts';

const MiB = 1024 * 1024;
const M = BigInt(MiB);
const seedOf = (i: number) => new Uint8Array(32).fill(40 + i);
const me = publicKeyFromSeed(seedOf(0));
/** Hops 1..3 of a path (seeds 41..43), each with the binding of its handshake on circuit `circuit`. */
const hopsOf = (circuit: number) => [1, 2, 3].map((i) => ({ key: publicKeyFromSeed(seedOf(i)), binding: new Uint8Array(32).fill(circuit * 16 + i) }));
const signed = (signer: number, body: ReceiptBody) => encodeReceipt({ ...body, signature: signEd25519(seedOf(signer), receiptSigningBytes(body)) });

/** Hop `index`'s honest receipt on `circuit` for `received` tokens from its previous hop. */
function receiptFrom(index: number, received: bigint, circuit = 1): Uint8Array {
  const hops = hopsOf(circuit);
  return signed(index + 1, { binding: hops[index]!.binding, hop: hops[index]!.key, payer: index === 0 ? me : hops[index - 1]!.key, received });
}

describe('receipts an originator takes', () => {
  const book = () => new ReceiptBook({ ownKey: me, hops: () => hopsOf(1), verify: verifyEd25519 });

  it('takes a hop\'s own receipt for this circuit', () => {
    expect(book().receive(1, receiptFrom(1, 5n), 0, 0)).toBe('ok');
  });

  it('refuses a wrong signature, a receipt for another circuit, one replayed from another circuit, one from another hop or payer, and junk', () => {
    const b = book();
    const hops = hopsOf(1);
    const good = receiptFrom(1, 5n);
    const badSig = good.slice();
    badSig[badSig.length - 40]! ^= 1;
    expect(b.receive(1, badSig, 0, 0)).toBe('forged');
    // Signed by another key than the hop it names.
    expect(b.receive(1, signed(3, { binding: hops[1]!.binding, hop: hops[1]!.key, payer: hops[0]!.key, received: 5n }), 0, 0)).toBe('forged');
    // The same hop's valid receipt from another circuit (its binding there) is replayed here.
    expect(b.receive(1, receiptFrom(1, 5n, 2), 0, 0)).toBe('other-circuit');
    expect(b.receive(1, signed(2, { binding: new Uint8Array(32), hop: hops[1]!.key, payer: hops[0]!.key, received: 5n }), 0, 0)).toBe('other-circuit');
    // Hop 2's receipt arriving under hop 1's layer, and one naming the wrong payer.
    expect(b.receive(1, receiptFrom(2, 5n), 0, 0)).toBe('wrong-hop');
    expect(b.receive(1, signed(2, { binding: hops[1]!.binding, hop: hops[1]!.key, payer: me, received: 5n }), 0, 0)).toBe('wrong-payer');
    expect(b.receive(1, good.subarray(1), 0, 0)).toBe('malformed');
    expect(b.receive(7, good, 0, 0)).toBe('wrong-hop');
    expect(b.receiptCounts()).toEqual([0, 0, 0]);
  });

  it('a forged or replayed receipt does not clear a keeper: only the real next hop\'s counts', () => {
    const b = book();
    b.paid(30n * M, 0, 10 * MiB);
    expect(b.receive(0, receiptFrom(0, 30n * M), 1, 10 * MiB)).toBe('ok');
    expect(b.receive(1, receiptFrom(1, 20n * M, 2), 2, 10 * MiB)).toBe('other-circuit');
    const forged = receiptFrom(1, 20n * M);
    forged[forged.length - 1]! ^= 0x10;
    expect(b.receive(1, forged, 2, 10 * MiB)).toBe('forged');
    expect(b.check(RECEIPT_GRACE_MS + 2)).toMatchObject({ index: 0, kind: 'next-silent' });
  });

  it('takes no receipt once the circuit ended, and reports a keeper once', () => {
    const b = book();
    b.paid(30n * M, 0, 10 * MiB);
    b.end(RECEIPT_GRACE_MS + 1, 10 * MiB, 'requested');
    expect(b.receive(0, receiptFrom(0, 30n * M), RECEIPT_GRACE_MS + 1, 10 * MiB)).toBe('ended');
    expect(b.check(RECEIPT_GRACE_MS + 2)).toMatchObject({ index: 0, kind: 'unacknowledged' });
    expect(b.check(RECEIPT_GRACE_MS + 3)).toBeUndefined();
  });
});

/** A record of a 3-hop path from (amount MiB, at ms, onion MiB) points. */
function record(paid: [number, number, number][], ...receipts: [number, number, number][][]): PaymentRecord {
  const point = ([amount, at, onion]: [number, number, number], receipt?: Uint8Array): Received => ({ amount: BigInt(Math.round(amount * MiB)), at, onionBytes: Math.round(onion * MiB), ...(receipt ? { receipt } : {}) });
  return {
    hops: hopsOf(1).map((h) => h.key),
    paid: paid.map((p) => point(p)),
    receipts: receipts.map((list, i) => list.map((p) => point(p, receiptFrom(i, BigInt(Math.round(p[0] * MiB)))))),
  };
}

describe('finding the relay that kept a payment', () => {
  // 3 hops, 10 MiB carried: we pay 30, hop 0 keeps 10 and passes 20, hop 1 keeps 10 and passes 10.
  const honest = record([[30, 0, 10]], [[30, 1, 10]], [[20, 500, 10.1]], [[10, 900, 10.2]]);

  it('flags nobody on an honest path, before or after the grace', () => {
    for (const now of [0, RECEIPT_GRACE_MS, 10 * RECEIPT_GRACE_MS]) expect(findKeeper(honest, now)).toBeUndefined();
  });

  it('flags a hop whose next hop got less than it should have passed on, once the grace passed, with both receipts', () => {
    // 30 MiB carried: hop 1, paid 60, passed on 2 of the 30 it should have.
    const r = record([[90, 0, 30]], [[90, 1, 30]], [[60, 500, 30]], [[2, 900, 30]]);
    expect(findKeeper(r, 500 + RECEIPT_GRACE_MS - 1)).toBeUndefined();
    const f = findKeeper(r, 500 + RECEIPT_GRACE_MS)!;
    expect(f).toMatchObject({ index: 1, kind: 'kept', received: { amount: 60n * M }, passedOn: { amount: 2n * M }, expected: 30n * M - BigInt(RECEIPT_TOLERANCE_BYTES) });
    expect(f.keeper).toEqual(hopsOf(1)[1]!.key);
    expect(f.received.receipt).toEqual(r.receipts[1]![0]!.receipt);
    expect(f.passedOn.receipt).toEqual(r.receipts[2]![0]!.receipt);
  });

  it('tolerates a step and the bytes in flight beyond what the hop carried, and no more', () => {
    // We pay 60 for 20 carried; hop 0 passes 40; hop 1 should pass at least 40 - 20 - the tolerance.
    const kept = (extra: number) => record([[60, 0, 20]], [[60, 1, 20]], [[40, 2, 20]], [[(20 * MiB - extra) / MiB, 3, 20]]);
    expect(findKeeper(kept(RECEIPT_TOLERANCE_BYTES), RECEIPT_GRACE_MS + 2)).toBeUndefined();
    expect(findKeeper(kept(RECEIPT_TOLERANCE_BYTES + 1), RECEIPT_GRACE_MS + 2)).toMatchObject({ index: 1 });
  });

  it('names the first keeper along the path, and a first hop that acknowledges less than we paid', () => {
    expect(findKeeper(record([[30, 0, 10]], [[30, 1, 10]], [], []), RECEIPT_GRACE_MS + 1)).toMatchObject({ index: 0, kind: 'next-silent' });
    expect(findKeeper(record([[30, 0, 10]], [[12, 1, 10]], [[2, 1, 10]], []), RECEIPT_GRACE_MS + 1)).toMatchObject({ index: 0, kind: 'unacknowledged', received: { amount: 30n * M }, expected: 30n * M });
  });

  it('on a circuit that closed, checks only what had its grace while open', () => {
    const r = { ...record([[30, 0, 10]], [[30, 1, 10]], [], []), ended: { at: RECEIPT_GRACE_MS - 1, onionBytes: 10 * MiB, reason: 'requested' as const } };
    expect(findKeeper(r, 100 * RECEIPT_GRACE_MS)).toBeUndefined();
    expect(findKeeper({ ...r, ended: { ...r.ended, at: RECEIPT_GRACE_MS + 1 } }, 100 * RECEIPT_GRACE_MS)).toMatchObject({ index: 0 });
  });

  it('on a circuit cut for being unpaid, checks what a hop got before the last margins of time and bytes, grace or not', () => {
    const r = record([[30, 0, 10]], [[30, 0, 10]], [], []);
    const cut = (onion: number, at = RECEIPT_CUT_MARGIN_MS) => ({ ...r, ended: { at, onionBytes: onion, reason: 'unpaid' as const } });
    expect(findKeeper(cut(10 * MiB + RECEIPT_CUT_MARGIN_BYTES - 1), RECEIPT_CUT_MARGIN_MS)).toBeUndefined();
    expect(findKeeper(cut(10 * MiB + RECEIPT_CUT_MARGIN_BYTES, RECEIPT_CUT_MARGIN_MS - 1), RECEIPT_CUT_MARGIN_MS)).toBeUndefined();
    expect(findKeeper(cut(10 * MiB + RECEIPT_CUT_MARGIN_BYTES), RECEIPT_CUT_MARGIN_MS)).toMatchObject({ index: 0, kind: 'next-silent' });
    // Cut for another reason: the grace still rules.
    expect(findKeeper({ ...r, ended: { at: 0, onionBytes: 100 * MiB, reason: 'hop-lost' } }, RECEIPT_GRACE_MS)).toBeUndefined();
  });

  it('never flags an honest path, whatever the timing within the grace and the order receipts arrive in', () => {
    // A model of honest hops: pay in steps; hop i, paid R at byte count b ≤ ours, keeps at most b and passes the rest
    // on within the grace; each receipt comes back after the hop's bytes were counted by us.
    const steps = fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 24 * MiB }), delays: fc.array(fc.nat({ max: RECEIPT_GRACE_MS }), { minLength: 8, maxLength: 8 }), lag: fc.nat({ max: MiB }) }), { minLength: 1, maxLength: 12 });
    fc.assert(
      // Checked at a moment within two graces of a random step's payment, where receipts are still on their way.
      fc.property(fc.integer({ min: 1, max: 3 }), steps, fc.nat(), fc.nat({ max: 2 * RECEIPT_GRACE_MS }), (hops, plan, step, offset) => {
        const now = 1_000 * ((step % plan.length) + 1) + offset;
        const paid: Received[] = [];
        const receipts: Received[][] = Array.from({ length: hops }, () => []);
        const got = Array<bigint>(hops).fill(0n);
        const kept = Array<bigint>(hops).fill(0n);
        let onion = 0;
        let t = 0;
        for (const s of plan) {
          onion += s.bytes;
          t += 1_000;
          const total = BigInt(onion * hops);
          paid.push({ amount: total, at: t, onionBytes: onion });
          let at = t;
          let amount = total - (paid.length > 1 ? paid[paid.length - 2]!.amount : 0n);
          for (let i = 0; i < hops; i++) {
            got[i]! += amount;
            at += s.delays[i]! / hops;
            // What the hop counted when credited is at most what we count when its receipt arrives.
            const arrival = Math.max(onion - s.lag, 0);
            receipts[i]!.push({ amount: got[i]!, at, onionBytes: onion });
            const share = BigInt(arrival) - kept[i]!;
            const keep = i === hops - 1 ? amount : share > 0n ? (share < amount ? share : amount) : 0n;
            kept[i]! += keep;
            amount -= keep;
          }
        }
        // What the originator knows at `now`.
        const known = (list: Received[]) => list.filter((e) => e.at <= now);
        expect(findKeeper({ hops: hopsOf(1).slice(0, hops).map((h) => h.key), paid: known(paid), receipts: receipts.map(known) }, now)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
