import Wire from 'bittorrent-protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes, toHex } from '../codec/bytes.ts';
import { mutated } from '../codec/decoder-properties.ts';
import { until } from '../circuits/test-support.ts';
import { CIRCUIT_RATE_FIELD } from '../sharing/circuit-wire-account.ts';
import { PAY_EXTENSION } from '../sharing/constants.ts';
import { payHandshakeFields } from '../sharing/pay-wire.ts';
import { btHandshake, btMessage, KEEP_ALIVE, splitAt } from './bt-test-support.ts';
import { BtMessageReader, BtWireError, decodeExtendedHandshake, encodeExtended, encodeExtendedHandshake, extendedOf, handshakePeerId } from './bt-messages.ts';
import { MAX_BT_MESSAGE_BYTES, MAX_HELD_PAY_BYTES } from './constants.ts';
import { ExitSplice, TRUSTMESH_FIELD_PREFIX } from './exit-splice.ts';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const exitPeerId = fill(20, 0xee);
const exitKey = fill(32, 0x11);
const exitNonce = fill(16, 0x12);
const originatorPeerId = fill(20, 0xdd);
const originatorKey = fill(32, 0x33);
const peerId = fill(20, 0x55);
const peerKey = fill(32, 0x44);
const PEER_PAY_ID = 7;

const newSplice = () => new ExitSplice({ exitPeerId, payFields: payHandshakeFields(exitKey, exitNonce) });
const extHandshake = (dict: Record<string, unknown>) => encodeExtended(0, encodeExtendedHandshake(dict));
const originatorHandshake = (m: Record<string, unknown> = { ut_metadata: 1, [PAY_EXTENSION]: 2 }) =>
  extHandshake({ m, v: new TextEncoder().encode('WebTorrent'), ...payHandshakeFields(originatorKey, fill(16, 0x34)), [CIRCUIT_RATE_FIELD]: 3 });
const peerHandshake = (m: Record<string, unknown> = { ut_metadata: 3, [PAY_EXTENSION]: PEER_PAY_ID }) => extHandshake({ m, ...payHandshakeFields(peerKey, fill(16, 0x45)) });

/** The messages in bytes written by the splice (after the 68-byte handshake if `handshake`). */
const messagesOf = (bytes: Uint8Array, handshake = false) => new BtMessageReader({ handshake }).push(bytes);
const handshakeIn = (bytes: Uint8Array, handshake = false) => {
  for (const m of messagesOf(bytes, handshake).slice(handshake ? 1 : 0)) {
    const ext = extendedOf(m);
    if (ext?.extId === 0) return decodeExtendedHandshake(ext.payload);
  }
  return undefined;
};
const contains = (hay: Uint8Array, needle: Uint8Array) => {
  for (let i = 0; i + needle.length <= hay.length; i++) if (bytesEqual(hay.subarray(i, i + needle.length), needle)) return true;
  return false;
};
/** A splice with both BitTorrent handshakes and both extended handshakes through. */
function openedSplice(): { splice: ExitSplice; ourPayId: number } {
  const splice = newSplice();
  const up = splice.fromOriginator(concatBytes(btHandshake(originatorPeerId), originatorHandshake()));
  splice.fromSwarm(concatBytes(btHandshake(peerId), peerHandshake()));
  const m = handshakeIn(up, true)!.m as Record<string, number>;
  return { splice, ourPayId: m[PAY_EXTENSION]! };
}

describe('exit splice', () => {
  it("shows the swarm peer the exit's peer id and pay fields, never the originator's peer id, key or circuit rate", () => {
    const splice = newSplice();
    const up = splice.fromOriginator(concatBytes(btHandshake(originatorPeerId), originatorHandshake()));
    expect(handshakePeerId(messagesOf(up, true)[0]!)).toEqual(exitPeerId);
    const hs = handshakeIn(up, true)!;
    expect(hs.tm_key).toEqual(exitKey);
    expect(hs.tm_nonce).toEqual(exitNonce);
    expect(hs[CIRCUIT_RATE_FIELD]).toBeUndefined();
    expect(hs.m).toEqual({ ut_metadata: 1, [PAY_EXTENSION]: 2 });
    expect(hs.v).toEqual(new TextEncoder().encode('WebTorrent'));
    expect(contains(up, originatorPeerId)).toBe(false);
    expect(contains(up, originatorKey)).toBe(false);
    expect(splice.exitPeerIdHex).toBe(toHex(exitPeerId));
    // Every Trustmesh field is caught by the prefix the splice strips.
    for (const key of [...Object.keys(payHandshakeFields(exitKey, exitNonce)), CIRCUIT_RATE_FIELD]) expect(key.startsWith(TRUSTMESH_FIELD_PREFIX)).toBe(true);
  });

  it("shows the originator the peer's handshake without its key, nonce or pay id, and keeps the original for the exit", () => {
    const splice = newSplice();
    const hs = btHandshake(peerId);
    const { toOriginator, pay } = splice.fromSwarm(concatBytes(hs, peerHandshake()));
    expect(pay).toEqual([]);
    expect(messagesOf(toOriginator, true)[0]).toEqual(hs);
    const seen = handshakeIn(toOriginator, true)!;
    expect(Object.keys(seen).filter((k) => k.startsWith(TRUSTMESH_FIELD_PREFIX))).toEqual([]);
    expect(seen.m).toEqual({ ut_metadata: 3 });
    expect(contains(toOriginator, peerKey)).toBe(false);
    expect(splice.swarmPeerId).toBe(toHex(peerId));
    expect(splice.swarmHandshake?.tm_key).toEqual(peerKey);
    expect((splice.swarmHandshake?.m as Record<string, number>)[PAY_EXTENSION]).toBe(PEER_PAY_ID);
  });

  it("drops the originator's messages on the peer's pay id, and every extended message before the peer's extended handshake", () => {
    const splice = newSplice();
    splice.fromOriginator(concatBytes(btHandshake(originatorPeerId), originatorHandshake()));
    // Before the peer has said which ids it takes, a guessed pay id must not get through.
    expect(splice.fromOriginator(encodeExtended(PEER_PAY_ID, fill(65, 1)))).toEqual(new Uint8Array(0));
    expect(splice.fromOriginator(encodeExtended(3, fill(5, 2)))).toEqual(new Uint8Array(0));
    splice.fromSwarm(concatBytes(btHandshake(peerId), peerHandshake()));
    const forged = encodeExtended(PEER_PAY_ID, fill(65, 1));
    const metadata = encodeExtended(3, fill(5, 2));
    const have = btMessage(4, new Uint8Array([0, 0, 0, 9]));
    const out = splice.fromOriginator(concatBytes(forged, metadata, KEEP_ALIVE, forged, have));
    expect(messagesOf(out)).toEqual([metadata, KEEP_ALIVE, have]);
  });

  it("takes the peer's pay messages out for the exit, on the id the exit gave it, and passes the rest unchanged", () => {
    const { splice, ourPayId } = openedSplice();
    // The originator's own pay id is reused, so nothing on it can reach the originator's pay extension.
    expect(ourPayId).toBe(2);
    const proof = fill(65, 9);
    const metadata = encodeExtended(1, fill(30, 3));
    const piece = btMessage(7, fill(9 + 100, 4));
    const { toOriginator, pay } = splice.fromSwarm(concatBytes(encodeExtended(ourPayId, proof), metadata, piece, KEEP_ALIVE));
    expect(pay).toEqual([proof]);
    expect(messagesOf(toOriginator)).toEqual([metadata, piece, KEEP_ALIVE]);
  });

  it("gives the exit's pay messages an id none of the originator's extensions use", () => {
    const payIdFor = (m: Record<string, unknown> | undefined) => {
      const s = newSplice();
      const dict = m === undefined ? { v: 1 } : { m };
      return (handshakeIn(s.fromOriginator(concatBytes(btHandshake(originatorPeerId), extHandshake(dict))), true)!.m as Record<string, number>)[PAY_EXTENSION];
    };
    expect(payIdFor({ ut_metadata: 1, ut_pex: 5 })).toBe(6);
    expect(payIdFor({ a: 255, b: 1, c: 2 })).toBe(3);
    expect(payIdFor({ ut_metadata: 0, odd: new Uint8Array([9]) })).toBe(1);
    expect(payIdFor(undefined)).toBe(1);
    const full = Object.fromEntries(Array.from({ length: 255 }, (_, i) => [`x${i}`, i + 1]));
    expect(() => newSplice().fromOriginator(concatBytes(btHandshake(originatorPeerId), extHandshake({ m: full })))).toThrow(BtWireError);
  });

  it("refuses a later originator handshake that maps an extension onto the exit's pay id, and gives others the pay fields again", () => {
    const { splice, ourPayId } = openedSplice();
    const again = handshakeIn(splice.fromOriginator(originatorHandshake({ ut_holepunch: 4 })))!;
    expect(again.tm_key).toEqual(exitKey);
    expect(again.m).toEqual({ ut_holepunch: 4, [PAY_EXTENSION]: ourPayId });
    expect(() => splice.fromOriginator(originatorHandshake({ sneaky: ourPayId }))).toThrow(BtWireError);
  });

  it('refuses a peer that renumbers its pay extension mid-stream, and strips its later handshakes too', () => {
    const { splice } = openedSplice();
    const later = handshakeIn(splice.fromSwarm(peerHandshake({ ut_metadata: 3, [PAY_EXTENSION]: PEER_PAY_ID })).toOriginator)!;
    expect(later.m).toEqual({ ut_metadata: 3 });
    expect(later.tm_key).toBeUndefined();
    expect(() => splice.fromSwarm(peerHandshake({ [PAY_EXTENSION]: PEER_PAY_ID + 1 }))).toThrow(BtWireError);
    const { splice: other } = openedSplice();
    expect(() => other.fromSwarm(peerHandshake({ [PAY_EXTENSION]: 0 }))).toThrow(BtWireError);
  });

  it("frames the exit's pay messages with the peer's id, holding them until the exit's pay fields have gone out, within MAX_HELD_PAY_BYTES", () => {
    const splice = newSplice();
    const proof = fill(65, 8);
    expect(splice.payToSwarm(proof)).toBeUndefined(); // the peer has not offered the extension: dropped
    splice.fromSwarm(concatBytes(btHandshake(peerId), peerHandshake()));
    expect(splice.payToSwarm(proof)).toBeUndefined(); // held: the peer does not know our key yet
    const up = splice.fromOriginator(concatBytes(btHandshake(originatorPeerId), originatorHandshake()));
    const messages = messagesOf(up, true);
    expect(extendedOf(messages[1]!)?.extId).toBe(0);
    expect(messages.slice(2)).toEqual([encodeExtended(PEER_PAY_ID, proof)]);
    expect(splice.payToSwarm(proof)).toEqual(encodeExtended(PEER_PAY_ID, proof));

    const stock = newSplice();
    stock.fromSwarm(concatBytes(btHandshake(peerId), peerHandshake({ ut_metadata: 3 })));
    expect(stock.payToSwarm(proof)).toBeUndefined();
    expect(messagesOf(stock.fromOriginator(concatBytes(btHandshake(originatorPeerId), originatorHandshake())), true)).toHaveLength(2);

    const flooded = newSplice();
    flooded.fromSwarm(concatBytes(btHandshake(peerId), peerHandshake()));
    const block = fill(1000, 1);
    expect(() => {
      for (let i = 0; i <= MAX_HELD_PAY_BYTES / block.length; i++) flooded.payToSwarm(block);
    }).toThrow(BtWireError);
  });

  it('ends the stream (BtWireError) on a message past MAX_BT_MESSAGE_BYTES, a malformed extended handshake or a wire that is not BitTorrent, from either end', () => {
    const over = new Uint8Array(4);
    new DataView(over.buffer).setUint32(0, MAX_BT_MESSAGE_BYTES + 1);
    expect(() => openedSplice().splice.fromOriginator(over)).toThrow(BtWireError);
    expect(() => openedSplice().splice.fromSwarm(over)).toThrow(BtWireError);
    const junk = encodeExtended(0, new TextEncoder().encode('d1:al-3:ee'));
    expect(() => newSplice().fromOriginator(concatBytes(btHandshake(originatorPeerId), junk))).toThrow(BtWireError);
    expect(() => newSplice().fromSwarm(concatBytes(btHandshake(peerId), junk))).toThrow(BtWireError);
    expect(() => newSplice().fromSwarm(concatBytes(btHandshake(peerId), extHandshake({ m: [1, 2] })))).toThrow(BtWireError);
    expect(() => newSplice().fromOriginator(new TextEncoder().encode('GET / HTTP/1.1\r\n'))).toThrow(BtWireError);
  });

  /** A stream's events in order: bytes from one end, or the exit sending a pay message. */
  type Step = { from: 'originator' | 'swarm'; bytes: Uint8Array } | { from: 'exit'; pay: Uint8Array };
  const extIds = fc.constantFrom(0, 1, 2, 3, PEER_PAY_ID, 200);
  const wireMessage = fc.oneof(
    fc.constant(KEEP_ALIVE),
    fc.tuple(fc.integer({ min: 0, max: 19 }), fc.uint8Array({ maxLength: 40 })).map(([id, p]) => btMessage(id, p)),
    fc.tuple(extIds.filter((id) => id !== 0), fc.uint8Array({ maxLength: 40 })).map(([id, p]) => encodeExtended(id, p)),
  );
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ from: fc.constant('originator' as const), bytes: fc.array(wireMessage, { maxLength: 4 }).map((ms) => concatBytes(...ms)) }),
    fc.record({ from: fc.constant('swarm' as const), bytes: fc.array(wireMessage, { maxLength: 4 }).map((ms) => concatBytes(...ms)) }),
    fc.record({ from: fc.constant('originator' as const), bytes: fc.constant(originatorHandshake()) }),
    fc.record({ from: fc.constant('swarm' as const), bytes: fc.constantFrom(peerHandshake(), peerHandshake({ ut_metadata: 3 })) }),
    fc.record({ from: fc.constant('exit' as const), pay: fc.uint8Array({ minLength: 1, maxLength: 20 }) }),
  );
  const script = fc.array(step, { maxLength: 12 }).map((steps): Step[] => [
    { from: 'originator', bytes: btHandshake(originatorPeerId) },
    { from: 'swarm', bytes: btHandshake(peerId) },
    ...steps,
  ]);
  /** What the splice makes of a script, each step's bytes cut into chunks: bytes to the peer, to the originator, pay taken, or the error. */
  function run(steps: Step[], cuts: number[]) {
    const splice = newSplice();
    const toSwarm: Uint8Array[] = [];
    const toOriginator: Uint8Array[] = [];
    const pay: Uint8Array[] = [];
    try {
      for (const s of steps) {
        if (s.from === 'exit') {
          const m = splice.payToSwarm(s.pay);
          if (m !== undefined) toSwarm.push(m);
          continue;
        }
        for (const chunk of splitAt(s.bytes, cuts)) {
          if (s.from === 'originator') toSwarm.push(splice.fromOriginator(chunk));
          else {
            const r = splice.fromSwarm(chunk);
            toOriginator.push(r.toOriginator);
            pay.push(...r.pay);
          }
        }
      }
    } catch (err) {
      if (!(err instanceof BtWireError)) throw err;
      return 'refused';
    }
    return { toSwarm: concatBytes(...toSwarm), toOriginator: concatBytes(...toOriginator), pay };
  }

  it('gives the same result however each end\'s bytes are split into chunks', () => {
    fc.assert(
      fc.property(script, fc.array(fc.nat(), { maxLength: 12 }), (steps, cuts) => {
        const whole = run(steps, []);
        expect(run(steps, cuts)).toEqual(whole);
        // Whatever the order, the originator's peer id and key never reach the peer, nor the peer's key the originator.
        if (whole !== 'refused') {
          expect(contains(whole.toSwarm, originatorPeerId) || contains(whole.toSwarm, originatorKey)).toBe(false);
          expect(contains(whole.toOriginator, peerKey)).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('takes random and mutated bytes from either end or refuses them with BtWireError, never another error', () => {
    const valid = script.map((steps) => concatBytes(...steps.flatMap((s) => (s.from === 'originator' ? [s.bytes] : []))));
    const inputs = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(valid), mutated(fc.constant(concatBytes(btHandshake(peerId), peerHandshake()))));
    fc.assert(
      fc.property(inputs, inputs, (up, down) => {
        for (const [from, bytes] of [['originator', up], ['swarm', down]] as const) {
          const steps: Step[] = [{ from, bytes }];
          expect(() => run(steps, [])).not.toThrow();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('carries real WebTorrent wires: the seeder pays the exit and sees only it; the downloader sees no Trustmesh field', async () => {
    const infoHash = '07'.repeat(20);
    const splice = newSplice();
    const downloader = new Wire();
    const seeder = new Wire();
    const seederGot: Uint8Array[] = [];
    const downloaderHandshakes: Record<string, unknown>[] = [];
    class SeederPay {
      constructor(wire: typeof seeder) {
        Object.assign(wire.extendedHandshake, payHandshakeFields(peerKey, fill(16, 0x45)));
      }
      onExtendedHandshake(): void {}
      onMessage(bytes: Uint8Array): void {
        seederGot.push(bytes);
      }
    }
    class DownloaderPay {
      constructor(wire: typeof downloader) {
        Object.assign(wire.extendedHandshake, payHandshakeFields(originatorKey, fill(16, 0x34)), { [CIRCUIT_RATE_FIELD]: 2 });
      }
      onExtendedHandshake(handshake: Record<string, unknown>): void {
        downloaderHandshakes.push(handshake);
      }
      onMessage(): void {}
    }
    for (const ext of [SeederPay, DownloaderPay]) (ext.prototype as unknown as { name: string }).name = PAY_EXTENSION;
    seeder.use(SeederPay);
    downloader.use(DownloaderPay);
    const pay: Uint8Array[] = [];
    downloader.on('data', (d: Uint8Array) => {
      const out = splice.fromOriginator(d);
      if (out.length > 0) seeder.write(out);
    });
    seeder.on('data', (d: Uint8Array) => {
      const r = splice.fromSwarm(d);
      if (r.toOriginator.length > 0) downloader.write(r.toOriginator);
      pay.push(...r.pay);
    });
    seeder.on('handshake', () => seeder.handshake(infoHash, toHex(peerId)));
    downloader.handshake(infoHash, toHex(originatorPeerId));
    await until(() => Object.keys(seeder.peerExtendedHandshake).length > 0 && Object.keys(downloader.peerExtendedHandshake).length > 0, 'extended handshakes');

    expect(seeder.peerId).toBe(splice.exitPeerIdHex);
    expect(seeder.peerExtendedHandshake.tm_key).toEqual(exitKey);
    expect(seeder.peerExtendedHandshake[CIRCUIT_RATE_FIELD]).toBeUndefined();
    expect(Object.keys(downloader.peerExtendedHandshake).filter((k) => k.startsWith(TRUSTMESH_FIELD_PREFIX))).toEqual([]);
    expect(downloader.peerExtendedMapping[PAY_EXTENSION]).toBeUndefined();
    expect(splice.swarmHandshake?.tm_key).toEqual(peerKey);

    seeder.extended(PAY_EXTENSION, fill(3, 1));
    seeder.write(splice.payToSwarm(fill(3, 2))!);
    // A downloader writing on the seeder's pay id as if it were the exit.
    downloader.extended((splice.swarmHandshake!.m as Record<string, number>)[PAY_EXTENSION]!, fill(3, 6));
    downloader.interested();
    await until(() => pay.length === 1 && seeder.peerInterested, 'pay message and interest');
    expect(pay).toEqual([fill(3, 1)]);
    expect(seederGot).toEqual([fill(3, 2)]);
    expect(downloaderHandshakes).toEqual([]);
    downloader.destroy();
    seeder.destroy();
  });
});
