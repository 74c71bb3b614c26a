/** Test support for exit streams (used only by *.test.ts): a fake exit relay at the far end of a memory-link circuit. */
import type { CircuitEnd } from '../circuits/circuit-node.ts';
import { concat, until } from '../circuits/test-support.ts';
import { utf8 } from '../codec/bytes.ts';
import { ExitCircuitPolicy } from './exit-policy.ts';
import { decodeExitMessage, encodeExitMessage, exitDataChunk, MAX_EXIT_DATA_BYTES, type EndReason, type ExitMessage } from './exit-wire.ts';

/** A BitTorrent handshake for `infoHash`: the exit policy passes nothing on a stream before one. */
export const btHandshake = (infoHash: Uint8Array, peerId: number): Uint8Array => concat([utf8.encode('\x13BitTorrent protocol'), new Uint8Array(8), infoHash, new Uint8Array(20).fill(peerId)]);
export const total = (parts: Uint8Array[]): number => parts.reduce((n, p) => n + p.length, 0);

/** How `n` held bytes of a stream leave as data messages: cut to pad little (exitDataChunk). */
export function chunksOf(n: number): number[] {
  const out: number[] = [];
  for (let left = n; left > 0; left -= out[out.length - 1]!) out.push(exitDataChunk(left));
  return out;
}

/** The far end of the circuit: a small exit that connects every begin to a made-up peer, under the real exit policy. */
export class FakeExit {
  /** Each circuit's policy, by its end's id, as an exit keeps them. */
  private readonly policies = new Map<string, ExitCircuitPolicy>();
  /** What a begin gets: a connected peer, an end, or no answer at all. */
  answer: 'connect' | 'no-peer' | 'silent' = 'connect';
  /** Whether the exit returns credit for what it delivers (a stalled swarm peer does not). */
  returnCredit = true;
  readonly toSwarm = new Map<number, Uint8Array[]>();
  readonly ends: { streamId: number; reason: EndReason }[] = [];
  readonly verified: { streamId: number; bytes: number }[] = [];
  readonly refusals: string[] = [];
  private end: CircuitEnd | undefined;
  private replies: Promise<void> = Promise.resolve();
  private tags = 0;

  /** The policy of the circuit that spoke last. */
  get policy(): ExitCircuitPolicy {
    return this.policies.get(this.end!.id)!;
  }

  onData(end: CircuitEnd, data: Uint8Array): void {
    this.end = end;
    if (!this.policies.has(end.id)) this.policies.set(end.id, new ExitCircuitPolicy({ exitCapKiBps: 0, ownTrackers: [] }));
    const m = decodeExitMessage(data);
    const id = m.streamId;
    switch (m.command) {
      case 'begin': {
        const v = this.policy.begin(m);
        if (!v.ok) return this.refuse(id, v.reason, v.end);
        if (this.answer === 'connect') {
          const peerTag = new Uint8Array(8).fill(++this.tags);
          this.policy.connected(id, peerTag);
          this.reply({ command: 'connected', streamId: id, peerTag });
        } else if (this.answer === 'no-peer') {
          this.policy.end(id);
          this.reply({ command: 'end', streamId: id, reason: 'no-peer' });
        }
        return;
      }
      case 'data': {
        const v = this.policy.fromOriginator(id, m.data);
        if (!v.ok) return this.refuse(id, v.reason, v.end);
        this.toSwarm.set(id, [...(this.toSwarm.get(id) ?? []), v.forward]);
        const credit = this.returnCredit ? this.policy.delivered(id, m.data.length) : 0;
        if (credit > 0) this.reply({ command: 'sendme', streamId: id, bytes: credit });
        return;
      }
      case 'sendme': {
        const v = this.policy.sendme(id, m.bytes);
        if (!v.ok) this.refusals.push(v.reason);
        return;
      }
      case 'verified': {
        const v = this.policy.verified(id, m.bytes);
        if (!v.ok) return this.refuse(id, v.reason, v.end);
        this.verified.push({ streamId: id, bytes: m.bytes });
        return;
      }
      case 'end':
        this.ends.push({ streamId: id, reason: m.reason });
        this.policy.end(id);
        return;
      default:
        this.refusals.push(`unexpected ${m.command}`);
    }
  }

  /** Sends `bytes` from the stream's swarm peer, waiting for credit as an exit does (or not: a hostile one). */
  async fromPeer(streamId: number, bytes: Uint8Array, opts: { ignoreWindow?: boolean } = {}): Promise<void> {
    for (let at = 0; at < bytes.length; ) {
      if (!opts.ignoreWindow) await until(() => this.policy.sendCredit(streamId) > 0, 'credit from the originator');
      const room = opts.ignoreWindow ? MAX_EXIT_DATA_BYTES : this.policy.sendCredit(streamId);
      const chunk = bytes.subarray(at, at + Math.min(MAX_EXIT_DATA_BYTES, room));
      if (!opts.ignoreWindow) {
        const v = this.policy.fromSwarm(streamId, chunk);
        if (!v.ok) throw new Error(`the exit policy refused the peer's data: ${v.reason}`);
      }
      this.reply({ command: 'data', streamId, data: chunk });
      at += chunk.length;
    }
    await this.replies;
  }

  reply(m: ExitMessage): void {
    const end = this.end!;
    // One after another: the circuit delivers cells in the order they are sealed.
    this.replies = this.replies.then(() => end.reply(encodeExitMessage(m))).catch(() => undefined);
  }

  private refuse(streamId: number, reason: string, end: EndReason): void {
    this.refusals.push(reason);
    this.reply({ command: 'end', streamId, reason: end });
  }
}
