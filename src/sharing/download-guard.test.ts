import { EventEmitter } from 'events';
import type { Torrent, Wire } from 'webtorrent';
import { describe, expect, it } from 'vitest';
import { DownloadAccount } from './accounting.ts';
import { BLOCK_LENGTH, MAX_HASH_FAILURES, MAX_UNREQUESTED_BYTES } from './constants.ts';
import { DownloadGuard, type Supplier } from './download-guard.ts';

type Callback = (err: Error | null, chunk: Uint8Array | null) => void;

/** A wire that behaves like bittorrent-protocol's: a piece message answers a matching request, then is emitted. */
class FakeWire extends EventEmitter {
  destroyed = false;
  private readonly requests: { index: number; offset: number; length: number; cb: Callback }[] = [];
  constructor(readonly peerId: string) {
    super();
  }
  request(index: number, offset: number, length: number, cb: Callback): void {
    this.requests.push({ index, offset, length, cb });
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** The peer sends a block, asked for or not. */
  receive(index: number, offset: number, buffer: Uint8Array): void {
    const i = this.requests.findIndex((r) => r.index === index && r.offset === offset && r.length === buffer.length);
    if (i >= 0) this.requests.splice(i, 1)[0]!.cb(null, buffer);
    this.emit('piece', index, offset, buffer);
  }
}

const PIECES = 8;
const piece = (index: number): Uint8Array => new Uint8Array(BLOCK_LENGTH).fill(index + 1);
const fakeTorrent = { pieces: new Array(PIECES), pieceLength: BLOCK_LENGTH, lastPieceLength: BLOCK_LENGTH, bitfield: { get: () => false }, store: { get: (i: number, cb: Callback) => cb(null, piece(i)) } } as unknown as Torrent;

function supplier(peerId: string): Supplier & { wire: FakeWire & Wire; credits: number[] } {
  const credits: number[] = [];
  return { wire: new FakeWire(peerId) as FakeWire & Wire, account: new DownloadAccount(), credits, credited: (bytes: number) => credits.push(bytes) };
}

describe('DownloadGuard', () => {
  it('credits requested blocks of verified pieces; unrequested blocks earn nothing, and too many drop the wire', () => {
    const guard = new DownloadGuard(fakeTorrent);
    const honest = supplier('honest');
    const pusher = supplier('pusher');
    guard.watch(honest);
    guard.watch(pusher);
    honest.wire.request(0, 0, BLOCK_LENGTH, () => {});
    honest.wire.receive(0, 0, piece(0));
    pusher.wire.receive(0, 0, piece(0)); // the right bytes, but nobody asked it
    guard.onVerified(0);
    expect(honest.account.verified).toBe(BigInt(BLOCK_LENGTH));
    expect(pusher.account.verified).toBe(0n);
    expect(pusher.account.unrequested).toBe(BigInt(BLOCK_LENGTH));
    for (let sent = BLOCK_LENGTH; sent <= MAX_UNREQUESTED_BYTES; sent += BLOCK_LENGTH) pusher.wire.receive(1, 0, piece(1));
    expect(pusher.wire.destroyed).toBe(true);
    expect(guard.dropped.map((d) => [d.peer, d.reason])).toEqual([['pusher', 'unrequested']]);
    expect(honest.wire.destroyed).toBe(false);
  });

  it('drops a supplier after MAX_HASH_FAILURES failed pieces, and its reconnection at once', () => {
    const guard = new DownloadGuard(fakeTorrent);
    const attacker = supplier('attacker');
    guard.watch(attacker);
    for (let index = 0; index < MAX_HASH_FAILURES; index++) {
      expect(attacker.wire.destroyed).toBe(false);
      attacker.wire.request(index, 0, BLOCK_LENGTH, () => {});
      attacker.wire.receive(index, 0, piece(index).map((x) => x ^ 1));
      guard.onFailed(index);
    }
    expect(attacker.wire.destroyed).toBe(true);
    expect(attacker.account.verified).toBe(0n);
    expect(guard.dropped.map((d) => [d.peer, d.reason, d.account.strikes])).toEqual([['attacker', 'hash-failures', MAX_HASH_FAILURES]]);
    const again = supplier('attacker');
    guard.watch(again);
    expect(again.wire.destroyed).toBe(true);
  });

  it('pays the honest copy of a block the attacker also sent, once the stored piece is read back', () => {
    const guard = new DownloadGuard(fakeTorrent);
    const honest = supplier('honest');
    const attacker = supplier('attacker');
    guard.watch(honest);
    guard.watch(attacker);
    for (const s of [honest, attacker]) s.wire.request(2, 0, BLOCK_LENGTH, () => {});
    attacker.wire.receive(2, 0, piece(2).map((x) => x ^ 1));
    honest.wire.receive(2, 0, piece(2));
    guard.onVerified(2);
    expect(honest.credits).toEqual([BLOCK_LENGTH]);
    expect(attacker.credits).toEqual([]);
    expect(attacker.account.strikes).toBe(1);
  });
});
