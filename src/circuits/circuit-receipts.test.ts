import { describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../codec/bytes.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import type { OriginCircuit } from './circuit-node.ts';
import { MAX_DATA_BYTES, RECEIPT_GRACE_MS } from './constants.ts';
import type { KeeperFinding } from './payment-receipts.ts';
import { decodeReceipt, receiptSigningBytes } from './receipt-wire.ts';
import { mesh, until, type MeshOptions, type Peer } from './test-support.ts';

const MiB = 1024 * 1024;

/** Sends `bytes` in full cells, waiting every 16 for the far end to catch up (memory links have no flow control), until done or cut. */
async function push(circuit: OriginCircuit, bytes: number, far: Peer, onMiB: () => void = () => undefined): Promise<void> {
  const cell = new Uint8Array(MAX_DATA_BYTES);
  const before = far.received.length;
  let cells = 0;
  for (let sent = 0; sent < bytes && circuit.state === 'ready'; sent += cell.length) {
    await circuit.send(cell);
    if (++cells % 16 === 0) await until(() => far.received.length - before >= cells || circuit.state !== 'ready', 'the far end to catch up');
    if (cells % Math.round(MiB / MAX_DATA_BYTES) === 0) onMiB();
  }
}

const keepers = (p: Peer): KeeperFinding[] => p.events.flatMap((e) => (e.type === 'keeper' ? [e.finding] : []));
/** Bytes a peer carried on every circuit. */
const carried = (p: Peer): bigint => BigInt(p.events.reduce((n, e) => n + (e.type === 'bytes' ? e.bytes : 0), 0));
/** The most a hop's receipts show it received. */
const receipted = (c: OriginCircuit, i: number): bigint => (c.receipts.record().receipts[i] ?? []).reduce((m, e) => (e.amount > m ? e.amount : m), 0n);

/** A receipt in a finding: decodes, is signed by `hop`, names `payer`, and shows `amount`. */
function expectValidReceipt(bytes: Uint8Array | undefined, hop: Peer, payer: Peer, amount: bigint): void {
  expect(bytes).toBeDefined();
  const r = decodeReceipt(bytes!);
  expect(toHex(r.hop)).toBe(toHex(hop.key));
  expect(toHex(r.payer)).toBe(toHex(payer.key));
  expect(r.received).toBe(amount);
  expect(verifyEd25519(r.signature, receiptSigningBytes(r), hop.key)).toBe(true);
}

/**
 * An honest path of `relays` relays and a far end: pushes `bytes` at 0.5 MiB/s of the mesh clock, the
 * originator checking at each MiB, waits until every payment has been passed on and receipted, lets
 * the receipts' grace pass and has the originator check again. Returns the originator and the circuit.
 */
async function honestRun(relays: number, bytes: number, opts: MeshOptions = {}, release: () => void = () => undefined) {
  const m = mesh(relays + 2, { payments: true, ...opts });
  const [origin, ...path] = m.peers;
  const far = path[path.length - 1]!;
  const circuit = await origin!.node.build(path.map((p) => p.key));
  await push(circuit, bytes, far, () => {
    m.advance(2_000);
    void origin!.node.sweep();
  });
  release();
  expect(circuit.state).toBe('ready');
  // Quiet: the first hop has all we paid, each relay passed on all but what it carried, and every hop said so.
  await until(
    () =>
      path[0]!.paidIn === circuit.paid &&
      path.every((p, i) => receipted(circuit, i) === p.paidIn && (i === path.length - 1 || p.paidIn - p.paidOut <= carried(p))),
    'every payment passed on and receipted',
    60_000,
  );
  m.advance(RECEIPT_GRACE_MS + 1);
  await origin!.node.sweep();
  return { origin: origin!, path, circuit, m };
}

describe('payment receipts: honest paths', () => {
  for (const relays of [1, 2]) {
    for (const bytes of [7 * MiB, 17 * MiB, 45 * MiB]) {
      it(`flags nobody on an honest ${relays}-relay path carrying ${bytes / MiB} MiB`, async () => {
        const { origin, circuit, path } = await honestRun(relays, bytes);
        expect(keepers(origin)).toEqual([]);
        // Not vacuous: every hop sent receipts, and the first hop's covers all we paid.
        expect(circuit.receipts.receiptCounts().every((n) => n > 0)).toBe(true);
        expect(receipted(circuit, 0)).toBe(circuit.paid);
        await circuit.close();
        expect(keepers(origin)).toEqual([]);
        expect(path.every((p) => p.events.every((e) => e.type !== 'closed' || e.reason === 'requested'))).toBe(true);
      }, 60_000);
    }

    it(`flags nobody on an honest ${relays}-relay path whose payers' first payments fail and are tried again`, async () => {
      const failed = new Set<string>();
      const { origin, circuit } = await honestRun(relays, 20 * MiB, { failPay: (from) => !failed.has(toHex(from)) && failed.add(toHex(from)) !== undefined });
      expect(failed.size).toBe(relays + 1);
      expect(keepers(origin)).toEqual([]);
      expect(circuit.receipts.receiptCounts().every((n) => n > 0)).toBe(true);
    }, 60_000);

    it(`flags nobody on an honest ${relays}-relay path whose every payment takes 6 MiB of traffic to be countersigned`, async () => {
      let finished = false;
      let far: Peer | undefined;
      const { origin, circuit } = await honestRun(
        relays,
        40 * MiB,
        {
          payDelay: () => {
            const start = far?.received.length ?? 0;
            return until(() => finished || (far?.received.length ?? 0) - start >= (6 * MiB) / MAX_DATA_BYTES, 'the slow payment', 60_000);
          },
          onEndpointData: (p) => (far = p),
        },
        () => (finished = true),
      );
      expect(keepers(origin)).toEqual([]);
      expect(circuit.receipts.receiptCounts().every((n) => n > 0)).toBe(true);
    }, 60_000);
  }

  it('flags no relay when the originator itself stops paying and is cut', async () => {
    const { peers, advance } = mesh(4, { payments: true });
    const [origin, r1, r2, far] = peers;
    const circuit = await origin!.node.build([r1!.key, r2!.key, far!.key]);
    const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
    await push(circuit, 10 * MiB, far!, () => advance(1_000));
    origin!.withholding = true;
    await push(circuit, 60 * MiB, far!, () => advance(1_000)).catch(() => undefined);
    expect(await broken).toBe('unpaid');
    expect(keepers(origin!)).toEqual([]);
  }, 60_000);
});

describe('payment receipts: a relay that keeps what it should pass on', () => {
  /**
   * Builds origin → r1 → r2 → far, makes `keeper` withhold once `after` bytes went through, and pushes
   * until cut, at 1 MiB/s of the mesh clock (a cut names a keeper only for what it got well before).
   */
  async function withheldBy(keeperAt: 1 | 2, after: number) {
    const { peers, advance } = mesh(4, { payments: true });
    const [origin, r1, r2, far] = peers;
    const keeper = peers[keeperAt]!;
    const circuit = await origin!.node.build([r1!.key, r2!.key, far!.key]);
    const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
    let pushed = 0;
    await push(circuit, 80 * MiB, far!, () => {
      advance(1_000);
      if ((pushed += MiB) >= after) keeper.withholding = true;
    }).catch(() => undefined);
    expect(await broken).toBe('unpaid');
    return { origin: origin!, r1: r1!, r2: r2!, far: far!, circuit };
  }

  it('names the middle relay that keeps every payment, with its signed receipt as evidence', async () => {
    const { origin, r1, r2 } = await withheldBy(2, 0);
    const found = keepers(origin);
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.index).toBe(1);
    expect(toHex(f.keeper)).toBe(toHex(r2.key));
    // The far end was never paid, so it signed nothing.
    expect(f.kind).toBe('next-silent');
    expect(f.passedOn.amount).toBe(0n);
    expectValidReceipt(f.received.receipt, r2, r1, f.received.amount);
    expect(f.received.amount).toBeGreaterThan(f.expected);
    expect(f.expected).toBeGreaterThan(0n);
  }, 60_000);

  it('names a middle relay that passes on at first and then keeps, with both hops\' signed receipts', async () => {
    const { origin, r1, r2, far } = await withheldBy(2, 12 * MiB);
    const [f] = keepers(origin);
    expect(f?.kind).toBe('kept');
    expect(toHex(f!.keeper)).toBe(toHex(r2.key));
    expectValidReceipt(f!.received.receipt, r2, r1, f!.received.amount);
    expectValidReceipt(f!.passedOn.receipt, far, r2, f!.passedOn.amount);
    expect(f!.passedOn.amount).toBeGreaterThan(0n);
    expect(f!.passedOn.amount).toBeLessThan(f!.expected);
  }, 60_000);

  it('names the first relay when it is the one that keeps', async () => {
    const { origin, r1 } = await withheldBy(1, 0);
    const found = keepers(origin);
    expect(found.map((f) => [f.index, toHex(f.keeper)])).toEqual([[0, toHex(r1.key)]]);
    expectValidReceipt(found[0]!.received.receipt, r1, origin, found[0]!.received.amount);
  }, 60_000);

  it('names a relay found keeping on an open circuit once the grace has passed, at the next sweep', async () => {
    // r1 keeps; the far end of a 2-relay path is cut only a window later, so the originator's sweep comes first.
    const m = mesh(4, { payments: true });
    const [origin, r1, r2, far] = m.peers;
    r1!.withholding = true;
    const circuit = await origin!.node.build([r1!.key, r2!.key, far!.key]);
    await push(circuit, 12 * MiB, far!);
    await until(() => receipted(circuit, 0) > 0n, 'the first hop\'s receipt');
    expect(circuit.state).toBe('ready');
    await origin!.node.sweep();
    expect(keepers(origin!)).toEqual([]); // within its grace
    m.advance(RECEIPT_GRACE_MS + 1);
    await origin!.node.sweep();
    expect(keepers(origin!).map((f) => bytesEqual(f.keeper, r1!.key))).toEqual([true]);
  }, 60_000);
});
