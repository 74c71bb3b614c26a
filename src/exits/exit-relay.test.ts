import 'fake-indexeddb/auto';
import Wire from 'bittorrent-protocol';
import { Duplex, Readable } from 'streamx';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CircuitEnd } from '../circuits/circuit-node.ts';
import { bytesEqual, concatBytes, toHex } from '../codec/bytes.ts';
import { seededBytes } from '../codec/seeded-bytes.ts';
import { nobleSigner } from '../crypto/signers.ts';
import { MemoryHub } from '../ledger/memory-transport.ts';
import { startTestLedger, type TestLedger } from '../ledger/test-ledger.ts';
import { PAY_EXTENSION } from '../sharing/constants.ts';
import { identityChallenge } from '../sharing/identity-proof.ts';
import { decodePayMessage, encodePayMessage, payHandshakeFields, readPayHandshake, type PayMessage } from '../sharing/pay-wire.ts';
import { BtMessageReader, decodeExtendedHandshake, encodeExtended, encodeExtendedHandshake, extendedOf, handshakePeerId } from './bt-messages.ts';
import { btHandshake } from './bt-test-support.ts';
import { chunksOf } from './test-support.ts';
import { ACK_CHECK_MS, EXIT_BUFFER_BYTES, EXIT_SENDME_EVERY_BYTES, EXIT_SETTLE_AFTER_CLOSE_MS, EXIT_STREAM_WINDOW_BYTES } from './constants.ts';
import { ExitRelay } from './exit-relay.ts';
import { decodeExitMessage, encodeExitMessage, MAX_EXIT_DATA_BYTES, PEER_TAG_BYTES, type ExitMessage } from './exit-wire.ts';
import type { ExitSeams } from './seams.ts';
import { immediateTimers, manualTimers } from '../circuits/test-timers.ts';
import { STREAM_COALESCE_GAP_MS } from '../circuits/constants.ts';
import type { CoalescerTimers } from '../circuits/write-coalescer.ts';
import { ExitDialError, type SwarmDialer, type SwarmPeer } from './swarm-dialer.ts';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const INFO_HASH = fill(20, 7);
const INFO_HASH_HEX = toHex(INFO_HASH);
const TRACKERS = ['wss://tracker.example.com/announce'];
const EXIT_SEED = fill(32, 1);
const EXIT_PEER_ID = fill(20, 0xee);
const ORIGINATOR_PEER_ID = fill(20, 0xdd);
const ORIGINATOR_KEY = fill(32, 0x33);
const SEEDER_PEER_ID_HEX = '55'.repeat(20);
const SEEDER_NONCE = fill(16, 0x45);
/** The id the originator takes `ut_test` messages on (its extended handshake's `m`). */
const ORIGINATOR_TEST_ID = 3;
const TEST_EXTENSION = 'ut_test';

/** Lets queued work run (streams, wires, signatures) without a clock: these tests fake timers. */
const tick = () => new Promise<void>((r) => setImmediate(r));
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (check()) return;
    await tick();
  }
  throw new Error(`never happened: ${what}`);
}
/** Everything queued has run: what has not happened by now is not going to without another event. */
async function drain(): Promise<void> {
  for (let i = 0; i < 100; i++) await tick();
}

/** The end of a circuit that ends at the exit: what the exit replies, decoded; the surplus the test sets. */
class FakeEnd implements CircuitEnd {
  readonly id = 'circuit-1';
  readonly replies: ExitMessage[] = [];
  /** Replies the exit tried after the circuit closed (a real circuit rejects them). */
  readonly afterClose: ExitMessage[] = [];
  paidBeyondCarriage = 0n;
  private closed = false;
  private readonly listeners: (() => void)[] = [];

  reply(data: Uint8Array): Promise<void> {
    const m = decodeExitMessage(data);
    if (this.closed) {
      this.afterClose.push(m);
      return Promise.reject(new Error('circuit closed'));
    }
    this.replies.push(m);
    return Promise.resolve();
  }
  surplus(): bigint {
    return this.paidBeyondCarriage;
  }
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.listeners.push(listener);
  }
  close(): void {
    this.closed = true;
    for (const l of this.listeners.splice(0)) l();
  }
}

/** The downloader's side of the circuit, by hand: exit messages in, and what the exit sent back. */
class Originator {
  constructor(
    private readonly relay: ExitRelay,
    readonly end: FakeEnd,
  ) {}

  send(m: ExitMessage): void {
    this.relay.handle(this.end, encodeExitMessage(m));
  }
  begin(streamId = 1): void {
    this.send({ command: 'begin', streamId, infoHash: INFO_HASH, trackers: TRACKERS });
  }
  write(bytes: Uint8Array, streamId = 1): void {
    for (let at = 0; at < bytes.length; at += MAX_EXIT_DATA_BYTES) this.send({ command: 'data', streamId, data: bytes.subarray(at, at + MAX_EXIT_DATA_BYTES) });
  }
  /** Opens its BitTorrent wire: handshake, then an extended handshake with its own Trustmesh fields. */
  openWire(streamId = 1): void {
    const ext = encodeExtendedHandshake({ m: { [TEST_EXTENSION]: ORIGINATOR_TEST_ID }, ...payHandshakeFields(ORIGINATOR_KEY, fill(16, 0x34)) });
    this.write(concatBytes(btHandshake(ORIGINATOR_PEER_ID, INFO_HASH), encodeExtended(0, ext)), streamId);
  }
  of<T extends ExitMessage['command']>(command: T, streamId = 1): Extract<ExitMessage, { command: T }>[] {
    return this.end.replies.filter((m): m is Extract<ExitMessage, { command: T }> => m.command === command && m.streamId === streamId);
  }
  /** Stream bytes the exit passed on. */
  received(streamId = 1): number {
    return this.of('data', streamId).reduce((n, m) => n + m.data.length, 0);
  }
  messages(streamId = 1): Uint8Array[] {
    return new BtMessageReader({ handshake: true }).push(concatBytes(...this.of('data', streamId).map((m) => m.data)));
  }
  /** The payloads of `ut_test` messages from the seeder. */
  testPayloads(streamId = 1): Uint8Array[] {
    return this.messages(streamId)
      .slice(1)
      .map(extendedOf)
      .filter((e) => e?.extId === ORIGINATOR_TEST_ID)
      .map((e) => e!.payload);
  }
  /** The seeder's extended handshake as it reached us. */
  seederHandshake(streamId = 1): Record<string, unknown> | undefined {
    const ext = this.messages(streamId).slice(1).map(extendedOf).find((e) => e?.extId === 0);
    return ext === undefined ? undefined : decodeExtendedHandshake(ext!.payload);
  }
}

/** A public seeder: a real WebTorrent wire with a trustmesh_pay extension, behind the WebRTC connection the exit dialed. */
class Seeder {
  readonly wire = new Wire();
  readonly conn: SwarmPeer['conn'];
  /** Every byte the exit wrote to it. */
  readonly fromExit: Uint8Array[] = [];
  readonly pay: PayMessage[] = [];
  readonly test: Uint8Array[] = [];
  proved = false;
  readonly peerIdHex: string;
  readonly signer: ReturnType<typeof nobleSigner>;
  /** How the exit's ledger knows it (the key is what counts). */
  readonly ref: { id: string; publicKey: Uint8Array };

  constructor(n = 0) {
    const wire = this.wire;
    this.peerIdHex = n === 0 ? SEEDER_PEER_ID_HEX : toHex(fill(20, 0x55 + n));
    const seederSigner = (this.signer = nobleSigner(fill(32, 2 + n)));
    this.ref = { id: `seeder-${n}`, publicKey: seederSigner.publicKey };
    const peerIdHex = this.peerIdHex;
    this.conn = new Duplex({
      write: (data: Uint8Array, cb: (err: Error | null) => void) => {
        this.fromExit.push(data);
        if (!wire.destroyed) wire.write(data);
        cb(null);
      },
      destroy: (cb: (err: Error | null) => void) => {
        wire.destroy();
        cb(null);
      },
    });
    wire.on('data', (d: Uint8Array) => this.conn.push(d));
    wire.on('close', () => this.conn.destroy());
    wire.on('handshake', () => wire.handshake(INFO_HASH_HEX, peerIdHex));
    const seeder = this;
    class Pay {
      constructor(w: typeof wire) {
        Object.assign(w.extendedHandshake, payHandshakeFields(seederSigner.publicKey, SEEDER_NONCE));
      }
      /** Proves our key to whoever the wire shows us, as a Trustmesh seeder does. */
      onExtendedHandshake(handshake: Record<string, unknown>): void {
        const fields = readPayHandshake(handshake);
        if (fields === undefined) return;
        void seederSigner.sign(identityChallenge(INFO_HASH_HEX, peerIdHex, wire.peerId, fields.nonce)).then((signature) => {
          wire.extended(PAY_EXTENSION, encodePayMessage({ type: 'proof', signature }));
          seeder.proved = true;
        });
      }
      onMessage(payload: Uint8Array): void {
        seeder.pay.push(decodePayMessage(payload));
      }
    }
    class Test {
      onExtendedHandshake(): void {}
      onMessage(payload: Uint8Array): void {
        seeder.test.push(payload.slice());
      }
    }
    (Pay.prototype as unknown as { name: string }).name = PAY_EXTENSION;
    (Test.prototype as unknown as { name: string }).name = TEST_EXTENSION;
    wire.use(Pay);
    wire.use(Test);
  }

  get peer(): SwarmPeer {
    return { id: this.peerIdHex, conn: this.conn };
  }
  get acks(): bigint[] {
    return this.pay.flatMap((m) => (m.type === 'ack' ? [m.verifiedBytes] : []));
  }
  get sawExitProof(): boolean {
    return this.pay.some((m) => m.type === 'proof');
  }
}

/** The SwarmDialer's shape: the peers it hands out, in order; none left is a dial that fails. */
function fakeDialer(peers: SwarmPeer[]) {
  const dialer = {
    peerId: EXIT_PEER_ID,
    join: vi.fn<(infoHash: string, trackers: readonly string[]) => void>(),
    take: vi.fn(async (_infoHash: string): Promise<SwarmPeer> => {
      const p = peers.shift();
      if (p === undefined) throw new ExitDialError('no peer of this swarm answered the exit in time');
      return p;
    }),
    done: vi.fn((_infoHash: string, p: SwarmPeer) => p.conn.destroy()),
    release: vi.fn<(infoHash: string) => void>(),
  };
  return dialer;
}

let dbSeq = 0;
const ledgers: TestLedger[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const l of ledgers.splice(0)) l.ledger.stop();
});

async function exitWith(o: { exiting?: boolean; peers?: number; seams?: ExitSeams; timers?: CoalescerTimers } = {}) {
  const exit = await startTestLedger(new MemoryHub(), 'exit', EXIT_SEED, `exit-relay-${++dbSeq}`);
  ledgers.push(exit);
  // The relay's clock (ack checks, settling after close) moves only when the test says.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  const seeders = Array.from({ length: o.peers ?? 1 }, (_, n) => new Seeder(n));
  const dialer = fakeDialer(seeders.map((s) => s.peer));
  const exiting = { now: o.exiting ?? true };
  const relay = new ExitRelay({
    signer: nobleSigner(EXIT_SEED),
    ledger: exit.ledger,
    dialer: dialer as unknown as SwarmDialer,
    exiting: () => exiting.now,
    policy: () => ({ exitCapKiBps: 0, ownTrackers: [] }),
    random: seededBytes(1),
    // Most tests are about what flows: a peer's bytes are held no longer than the current turn.
    timers: o.timers ?? immediateTimers,
    seams: o.seams,
  });
  const originator = new Originator(relay, new FakeEnd());
  return { relay, dialer, seeders, seeder: seeders[0]!, seederRef: seeders[0]?.ref ?? { id: 'none', publicKey: fill(32, 0) }, originator, end: originator.end, exiting };
}

/** Begins a stream and opens both BitTorrent wires over it through the exit, both pay proofs exchanged. */
async function opened(h: Awaited<ReturnType<typeof exitWith>>, streamId = 1, seeder = h.seeder): Promise<{ seederTestId: number }> {
  h.originator.begin(streamId);
  await eventually(() => h.originator.of('connected', streamId).length === 1, 'connected');
  h.originator.openWire(streamId);
  await eventually(() => seeder.proved && seeder.sawExitProof && h.originator.seederHandshake(streamId) !== undefined, 'handshakes and proofs');
  // The seeder's proof travels ahead of this on its connection: once it reaches the originator, the exit has checked the proof.
  seeder.wire.extended(TEST_EXTENSION, fill(10, 1));
  await eventually(() => h.originator.testPayloads(streamId).length === 1, 'first message from the seeder');
  return { seederTestId: (h.originator.seederHandshake(streamId)!.m as Record<string, number>)[TEST_EXTENSION]! };
}

/** An opened stream on which the seeder sent 50,000 bytes (seeded by `seed`) that reached the originator. */
async function withData(h: Awaited<ReturnType<typeof exitWith>>, seed: number): Promise<void> {
  await opened(h);
  h.seeder.wire.extended(TEST_EXTENSION, seededBytes(seed)(50_000));
  await eventually(() => h.originator.testPayloads().length === 2, 'the data');
}

const contains = (hay: Uint8Array, needle: Uint8Array) => {
  for (let i = 0; i + needle.length <= hay.length; i++) if (bytesEqual(hay.subarray(i, i + needle.length), needle)) return true;
  return false;
};

describe('ExitRelay', () => {
  it("connects a begin to a swarm peer with an 8-byte tag and carries data intact both ways; the seeder sees the exit's peer id", async () => {
    const h = await exitWith();
    const { seederTestId } = await opened(h);
    expect(h.dialer.join).toHaveBeenCalledWith(INFO_HASH_HEX, TRACKERS);
    expect(h.originator.of('connected')[0]!.peerTag).toHaveLength(PEER_TAG_BYTES);

    const down = seededBytes(2)(100_000);
    const up = seededBytes(3)(100_000);
    h.seeder.wire.extended(TEST_EXTENSION, down);
    h.originator.write(encodeExtended(seederTestId, up));
    await eventually(() => h.originator.testPayloads().length === 2 && h.seeder.test.length === 1, 'data both ways');
    // (bytesEqual: a deep toEqual of 100 kB takes seconds)
    expect(bytesEqual(h.originator.testPayloads()[1]!, down)).toBe(true);
    expect(h.seeder.test).toHaveLength(1);
    expect(bytesEqual(h.seeder.test[0]!, up)).toBe(true);

    expect(h.seeder.wire.peerId).toBe(toHex(EXIT_PEER_ID));
    expect(h.seeder.wire.peerExtendedHandshake.tm_key).toEqual(nobleSigner(EXIT_SEED).publicKey);
    const toSeeder = concatBytes(...h.seeder.fromExit);
    expect(contains(toSeeder, ORIGINATOR_PEER_ID)).toBe(false);
    expect(contains(toSeeder, ORIGINATOR_KEY)).toBe(false);
    // The originator sees the seeder's wire, not its Trustmesh key.
    expect(toHex(handshakePeerId(h.originator.messages()[0]!))).toBe(SEEDER_PEER_ID_HEX);
    expect(h.originator.seederHandshake()!.tm_key).toBeUndefined();
    expect(h.originator.of('end')).toEqual([]);
  });

  it('sends the originator no more than the stream window until it returns sendme credit', async () => {
    const h = await exitWith();
    await opened(h);
    const opening = h.originator.received();
    const block = seededBytes(4)(200_000);
    const blocks = Math.ceil((EXIT_STREAM_WINDOW_BYTES * 1.5) / block.length);
    const blockMessage = encodeExtended(ORIGINATOR_TEST_ID, block).length;
    for (let i = 0; i < blocks; i++) h.seeder.wire.extended(TEST_EXTENSION, block);
    await eventually(() => h.originator.received() === EXIT_STREAM_WINDOW_BYTES, 'a full window');
    await drain();
    expect(h.originator.received()).toBe(EXIT_STREAM_WINDOW_BYTES);

    h.originator.send({ command: 'sendme', streamId: 1, bytes: EXIT_SENDME_EVERY_BYTES });
    await eventually(() => h.originator.received() === EXIT_STREAM_WINDOW_BYTES + EXIT_SENDME_EVERY_BYTES, 'one more sendme’s worth');
    await drain();
    expect(h.originator.received()).toBe(EXIT_STREAM_WINDOW_BYTES + EXIT_SENDME_EVERY_BYTES);

    h.originator.send({ command: 'sendme', streamId: 1, bytes: EXIT_STREAM_WINDOW_BYTES });
    await eventually(() => h.originator.received() === opening + blocks * blockMessage, 'the rest');
    expect(h.originator.testPayloads().slice(1).every((p) => bytesEqual(p, block))).toBe(true);
    expect(h.originator.of('end')).toEqual([]);
  });

  it("holds a peer's blocks into full cells for the originator: a burst leaves in whole cells, the rest once the peer pauses", async () => {
    const clock = manualTimers();
    const h = await exitWith({ timers: clock.timers });
    h.originator.begin();
    await eventually(() => h.originator.of('connected').length === 1, 'connected');
    h.originator.openWire();
    // The handshakes are held too, and leave once the peer paused.
    await eventually(() => clock.pending > 0 && h.seeder.fromExit.length > 0, 'the seeder answered');
    await drain();
    expect(h.originator.received()).toBe(0);
    await clock.advance(STREAM_COALESCE_GAP_MS);
    await eventually(() => h.originator.seederHandshake() !== undefined, 'the seeder’s handshakes');
    const before = h.originator.of('data').length;
    const opening = h.originator.received();

    // A burst of 24 blocks of 16 KiB, as a seeder answers a cell of requests: two full cells and some over.
    const block = seededBytes(5)(16 * 1024);
    const blockMessage = encodeExtended(ORIGINATOR_TEST_ID, block).length;
    for (let i = 0; i < 24; i++) h.seeder.wire.extended(TEST_EXTENSION, block);
    const full = Math.floor((24 * blockMessage) / MAX_EXIT_DATA_BYTES) * MAX_EXIT_DATA_BYTES;
    await eventually(() => h.originator.received() - opening === full, 'the whole cells');
    await drain();
    expect(h.originator.received() - opening).toBe(full);
    expect(h.originator.of('data').slice(before).map((m) => m.data.length)).toEqual(Array(full / MAX_EXIT_DATA_BYTES).fill(MAX_EXIT_DATA_BYTES));

    await clock.advance(2 * STREAM_COALESCE_GAP_MS);
    await eventually(() => h.originator.received() - opening === 24 * blockMessage, 'the rest');
    // 24 blocks in two full cells and the rest (cut to pad little, exitDataChunk), where each block took a cell of its own when sent as it came.
    const sizes = h.originator.of('data').slice(before).map((m) => m.data.length);
    expect(sizes).toEqual([MAX_EXIT_DATA_BYTES, MAX_EXIT_DATA_BYTES, ...chunksOf(24 * blockMessage - full)]);
    expect(h.originator.testPayloads().slice(1).every((p) => bytesEqual(p, block))).toBe(true);
  });

  it('stops reading a peer that sends more than the originator takes, and reads on once the originator drains it', async () => {
    const h = await exitWith();
    await opened(h);
    const opening = h.originator.received();
    // No credit comes back: past the stream window and the exit's buffer, a flooding peer is no longer read.
    const block = seededBytes(6)(200_000);
    const blocks = Math.ceil((EXIT_STREAM_WINDOW_BYTES + EXIT_BUFFER_BYTES + 1) / block.length) + 2;
    const blockMessage = encodeExtended(ORIGINATOR_TEST_ID, block).length;
    for (let i = 0; i < blocks; i++) h.seeder.wire.extended(TEST_EXTENSION, block);
    await eventually(() => Readable.isPaused(h.seeder.conn as unknown as Readable), 'the peer no longer read');
    expect(h.originator.received()).toBe(EXIT_STREAM_WINDOW_BYTES);
    // The originator takes everything: credit goes back, the exit reads the peer again, and every byte arrives.
    while (h.originator.received() < opening + blocks * blockMessage) {
      const got = h.originator.received();
      h.originator.send({ command: 'sendme', streamId: 1, bytes: EXIT_SENDME_EVERY_BYTES });
      await eventually(() => h.originator.received() > got || h.originator.received() === opening + blocks * blockMessage, 'more after credit');
    }
    expect(Readable.isPaused(h.seeder.conn as unknown as Readable)).toBe(false);
    expect(h.originator.testPayloads().slice(1).every((p) => bytesEqual(p, block))).toBe(true);
    expect(h.originator.of('end')).toEqual([]);
  });

  it("answers a begin with end 'exit-off' when not exiting, and ends open streams so when exiting stops", async () => {
    const h = await exitWith({ exiting: false });
    h.originator.begin(1);
    await eventually(() => h.end.replies.length > 0, 'an answer');
    expect(h.end.replies).toEqual([{ command: 'end', streamId: 1, reason: 'exit-off' }]);
    expect(h.dialer.join).not.toHaveBeenCalled();
    expect(h.relay.openCircuits).toBe(0);

    h.exiting.now = true;
    await opened(h, 2);
    h.exiting.now = false;
    h.relay.stopAll();
    await eventually(() => h.seeder.conn.destroyed === true, 'the swarm connection closed');
    await drain();
    expect(h.originator.of('end', 2)).toEqual([{ command: 'end', streamId: 2, reason: 'exit-off' }]);
    expect(h.dialer.release).toHaveBeenCalledWith(INFO_HASH_HEX);
    expect(h.relay.openCircuits).toBe(0);
  });

  it("ends a stream ('protocol') whose originator reports more verified bytes than the exit passed on", async () => {
    const h = await exitWith();
    await opened(h);
    const passed = h.originator.received();
    h.originator.send({ command: 'verified', streamId: 1, bytes: passed });
    await drain();
    expect(h.originator.of('end')).toEqual([]);
    h.originator.send({ command: 'verified', streamId: 1, bytes: 1 });
    await eventually(() => h.originator.of('end').length > 0, 'the end');
    expect(h.originator.of('end')).toEqual([{ command: 'end', streamId: 1, reason: 'protocol' }]);
    await eventually(() => h.seeder.conn.destroyed === true, 'the swarm connection closed');
    expect(h.dialer.done).toHaveBeenCalledTimes(1);
  });

  it('acknowledges to the seeder only verified bytes the circuit surplus covers, and agrees to be charged only for those', async () => {
    const h = await exitWith();
    await withData(h, 5);
    const verified = 40_000;
    h.originator.send({ command: 'verified', streamId: 1, bytes: verified });
    await vi.advanceTimersByTimeAsync(3 * ACK_CHECK_MS);
    await drain();
    // Unpaid through the circuit: nothing acknowledged, nothing the seeder may charge.
    expect(h.seeder.acks).toEqual([]);
    expect(h.relay.accept(h.seederRef, 1n)).toMatch(/0 bytes from you are acknowledged/);

    h.end.paidBeyondCarriage = 10_000n;
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await eventually(() => h.seeder.acks.length === 1, 'an ack');
    expect(h.seeder.acks).toEqual([10_000n]);

    // Paid beyond what was verified: the ack stops at the verified bytes.
    h.end.paidBeyondCarriage = 1_000_000n;
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await eventually(() => h.seeder.acks.length === 2, 'a second ack');
    expect(h.seeder.acks).toEqual([10_000n, BigInt(verified)]);
    await vi.advanceTimersByTimeAsync(3 * ACK_CHECK_MS);
    await drain();
    expect(h.seeder.acks).toHaveLength(2);
  });

  it('answers a BANDWIDTH proposal: true within what it acknowledged, why not beyond, undefined for a key it does not pay', async () => {
    const h = await exitWith();
    await withData(h, 6);
    h.end.paidBeyondCarriage = 30_000n;
    h.originator.send({ command: 'verified', streamId: 1, bytes: 40_000 });
    await eventually(() => h.seeder.acks.length === 1, 'the ack');
    expect(h.seeder.acks).toEqual([30_000n]);

    expect(h.relay.accept(h.seederRef, 30_001n)).toMatch(/30000 bytes from you are acknowledged and unpaid/);
    expect(h.relay.accept(h.seederRef, 20_000n)).toBe(true);
    expect(h.relay.accept(h.seederRef, 10_001n)).toMatch(/10000 bytes from you are acknowledged and unpaid/);
    expect(h.relay.accept(h.seederRef, 10_000n)).toBe(true);
    expect(h.relay.accept(h.seederRef, 1n)).toEqual(expect.any(String));
    expect(h.relay.accept({ id: 'someone', publicKey: fill(32, 9) }, 1n)).toBeUndefined();
  });

  it('after the circuit closes: no more data to the originator, the last payment still acknowledged and accepted until EXIT_SETTLE_AFTER_CLOSE_MS, then the peer let go', async () => {
    const h = await exitWith();
    await withData(h, 7);
    h.originator.send({ command: 'verified', streamId: 1, bytes: 40_000 });
    await drain();
    const before = h.originator.received();

    h.end.close();
    h.seeder.wire.extended(TEST_EXTENSION, seededBytes(8)(5_000));
    // The originator's final payment comes as its circuit closes.
    h.end.paidBeyondCarriage = 40_000n;
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await eventually(() => h.seeder.acks.length === 1, 'the ack after close');
    expect(h.seeder.acks).toEqual([40_000n]);
    expect(h.relay.accept(h.seederRef, 40_000n)).toBe(true);
    expect(h.originator.received()).toBe(before);
    expect(h.end.afterClose.filter((m) => m.command === 'data')).toEqual([]);
    expect(h.seeder.conn.destroyed).toBe(false);
    expect(h.dialer.release).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(EXIT_SETTLE_AFTER_CLOSE_MS);
    await eventually(() => h.seeder.conn.destroyed === true, 'the swarm connection closed');
    expect(h.dialer.release).toHaveBeenCalledWith(INFO_HASH_HEX);
    expect(h.dialer.release).toHaveBeenCalledTimes(1);
    expect(h.relay.openCircuits).toBe(0);
    expect(h.relay.accept(h.seederRef, 1n)).toBeUndefined();
  });

  it('counts what it acknowledged on an ended stream against the surplus, and still answers that seeder until the circuit settles', async () => {
    const h = await exitWith({ peers: 2 });
    const [first, second] = [h.seeders[0]!, h.seeders[1]!];
    await opened(h, 1, first);
    first.wire.extended(TEST_EXTENSION, seededBytes(9)(50_000));
    await eventually(() => h.originator.testPayloads(1).length === 2, 'data on stream 1');
    h.end.paidBeyondCarriage = 30_000n;
    h.originator.send({ command: 'verified', streamId: 1, bytes: 30_000 });
    await eventually(() => first.acks.length === 1, 'the ack');
    // The originator is done with the first peer, whose proposal may still be on its way: it stays until paid.
    h.originator.send({ command: 'end', streamId: 1, reason: 'done' });
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await drain();
    expect(first.conn.destroyed).toBe(false);
    expect(h.relay.accept(first.ref, 30_000n)).toBe(true);
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await eventually(() => first.conn.destroyed === true, 'the first peer let go once paid');

    await opened(h, 2, second);
    second.wire.extended(TEST_EXTENSION, seededBytes(10)(50_000));
    await eventually(() => h.originator.testPayloads(2).length === 2, 'data on stream 2');
    h.originator.send({ command: 'verified', streamId: 2, bytes: 30_000 });
    await vi.advanceTimersByTimeAsync(3 * ACK_CHECK_MS);
    await drain();
    // The surplus paid for the first peer's bytes, all acknowledged: none is left for the second.
    expect(second.acks).toEqual([]);
    // The first peer's payer still answers (it was paid all it was acknowledged).
    expect(h.relay.accept(first.ref, 1n)).toMatch(/0 bytes from you are acknowledged/);

    h.end.paidBeyondCarriage = 50_000n;
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await eventually(() => second.acks.length === 1, 'the second ack');
    expect(second.acks).toEqual([20_000n]);
    // One end per stream: the first peer's connection closing after the originator ended it is no news.
    expect(h.originator.of('end', 1)).toEqual([]);
  });

  it('a stream the originator ends before its last payment: the peer stays for pay messages only, is acknowledged what the payment after the end covers, and goes once paid', async () => {
    const h = await exitWith();
    await withData(h, 11);
    h.end.paidBeyondCarriage = 30_000n;
    h.originator.send({ command: 'verified', streamId: 1, bytes: 40_000 });
    await eventually(() => h.seeder.acks.length === 1, 'the ack of what was paid');
    // The originator's torrent is complete: its wire ends the stream, and its final step is paid afterwards.
    h.originator.send({ command: 'end', streamId: 1, reason: 'done' });
    await drain();
    const before = h.originator.received();
    h.seeder.wire.extended(TEST_EXTENSION, seededBytes(12)(5_000));
    h.end.paidBeyondCarriage = 40_000n;
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await eventually(() => h.seeder.acks.length === 2, 'the ack of the final payment');
    expect(h.seeder.acks).toEqual([30_000n, 40_000n]);
    expect(h.originator.received()).toBe(before);
    expect(h.seeder.conn.destroyed).toBe(false);

    // Paid in two proposals: the peer stays until the last.
    expect(h.relay.accept(h.seederRef, 30_000n)).toBe(true);
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await drain();
    expect(h.seeder.conn.destroyed).toBe(false);
    expect(h.relay.accept(h.seederRef, 10_000n)).toBe(true);
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await eventually(() => h.seeder.conn.destroyed === true, 'the peer let go once paid');
    // One end per stream, the originator's own: the peer's connection closing is no news to it.
    expect(h.originator.of('end')).toEqual([]);
    expect(h.dialer.done).toHaveBeenCalledTimes(1);
  });

  it('a stream the originator ends and never pays for: the peer goes after EXIT_SETTLE_AFTER_CLOSE_MS, unacknowledged beyond what was paid', async () => {
    const h = await exitWith();
    await withData(h, 13);
    h.end.paidBeyondCarriage = 10_000n;
    h.originator.send({ command: 'verified', streamId: 1, bytes: 40_000 });
    await eventually(() => h.seeder.acks.length === 1, 'the ack of what was paid');
    h.originator.send({ command: 'end', streamId: 1, reason: 'done' });
    await vi.advanceTimersByTimeAsync(EXIT_SETTLE_AFTER_CLOSE_MS - ACK_CHECK_MS);
    await drain();
    expect(h.seeder.conn.destroyed).toBe(false);
    await vi.advanceTimersByTimeAsync(ACK_CHECK_MS);
    await eventually(() => h.seeder.conn.destroyed === true, 'the peer let go at the deadline');
    expect(h.seeder.acks).toEqual([10_000n]);
    expect(h.originator.of('end')).toEqual([]);
  });

  it('leaves the swarm once when exiting stops while a closed circuit settles', async () => {
    const h = await exitWith();
    await opened(h);
    h.end.close();
    h.relay.stopAll();
    await vi.advanceTimersByTimeAsync(EXIT_SETTLE_AFTER_CLOSE_MS);
    await drain();
    // A second release would take the exit out of a swarm another circuit still uses.
    expect(h.dialer.release).toHaveBeenCalledTimes(1);
    expect(h.seeder.conn.destroyed).toBe(true);
  });

  it("answers end 'no-peer' to a begin for which the dialer reaches no swarm peer", async () => {
    const h = await exitWith({ peers: 0 });
    h.originator.begin(1);
    await eventually(() => h.end.replies.length > 0, 'an answer');
    expect(h.end.replies).toEqual([{ command: 'end', streamId: 1, reason: 'no-peer' }]);
    expect(h.dialer.take).toHaveBeenCalledWith(INFO_HASH_HEX);
  });

  it('holds what it would pass the originator while the beforeForward seam holds it', async () => {
    let release: () => void = () => undefined;
    const totals: number[] = [];
    const holding = { on: true };
    const seams: ExitSeams = {
      beforeForward: (total) => {
        totals.push(total);
        return holding.on ? new Promise<void>((r) => (release = r)) : undefined;
      },
    };
    const h = await exitWith({ seams });
    h.originator.begin();
    await eventually(() => h.originator.of('connected').length === 1, 'connected');
    h.originator.openWire();
    await eventually(() => totals.length === 1 && h.seeder.fromExit.length > 0, 'the seeder answered and the exit asked the seam');
    await drain();
    expect(h.originator.received()).toBe(0);
    expect(totals).toEqual([0]);
    holding.on = false;
    release();
    await eventually(() => h.originator.seederHandshake() !== undefined, 'the seeder’s handshakes');
  });
});
