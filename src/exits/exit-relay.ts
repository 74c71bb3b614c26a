/**
 * The exit relay in the tab (browser glue): circuits that end at us and
 * carry exit stream messages (exit-wire.ts) get their streams joined to
 * peers of public swarms. Per circuit: the exit policy (exit-policy.ts)
 * rules every event; per stream: one swarm peer's WebRTC connection, the
 * wire rewritten at message level (ExitSplice) so the swarm sees the exit,
 * and the exit paying that peer under its own key (ExitPayer) for what the
 * originator verified and paid the exit for through the circuit.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { CircuitEnd } from '../circuits/circuit-node.ts';
import { bytesEqual, concatBytes, toHex, utf8 } from '../codec/bytes.ts';
import type { MessageSigner } from '../crypto/signers.ts';
import type { LedgerService } from '../ledger/ledger-service.ts';
import type { PeerRef } from '../ledger/ledger-transport.ts';
import { holdWrites } from '../circuits/held-writes.ts';
import type { CoalescerTimers, WriteCoalescer } from '../circuits/write-coalescer.ts';
import { ACK_CHECK_MS, EXIT_BUFFER_BYTES, EXIT_SETTLE_AFTER_CLOSE_MS } from './constants.ts';
import { ExitCircuitPolicy, type ExitPolicyConfig } from './exit-policy.ts';
import { ExitPayer } from './exit-payer.ts';
import { ExitSplice } from './exit-splice.ts';
import { decodeExitMessage, encodeExitMessage, exitDataChunk, MAX_EXIT_DATA_BYTES, PEER_TAG_BYTES, type EndReason, type ExitBegin, type ExitMessage } from './exit-wire.ts';
import type { SwarmDialer, SwarmPeer } from './swarm-dialer.ts';
import { NONCE_BYTES } from '../sharing/pay-wire.ts';
import type { ExitSeams } from './seams.ts';

export interface ExitRelayOptions {
  signer: MessageSigner;
  ledger: LedgerService;
  dialer: SwarmDialer;
  /** Whether we exit now (the Circuits page setting). */
  exiting(): boolean;
  /** The exit policy's settings now. */
  policy(): ExitPolicyConfig;
  random(n: number): Uint8Array;
  /** The clock that holds a peer's bytes into full cells for the originator (held-writes.ts); the page's by default. */
  timers?: CoalescerTimers | undefined;
  /** Test builds only: where test code intercepts (an exit that stalls). */
  seams?: ExitSeams | undefined;
}

interface Stream {
  id: number;
  peer: SwarmPeer | undefined;
  splice: ExitSplice | undefined;
  payer: ExitPayer | undefined;
  /** Spliced bytes from the peer, held until they fill a full cell or the peer pauses (held-writes.ts). */
  held: WriteCoalescer;
  /** Spliced bytes from the peer waiting for the originator's credit. */
  toOriginator: Uint8Array[];
  buffered: number;
  sending: boolean;
  /** What the originator verified of the peer's bytes, and what we acknowledged to it. */
  verified: bigint;
  /** Bytes passed on to the originator. */
  forwarded: number;
  closed: boolean;
  /** Ended by the originator, kept for pay messages only until settled (settleStream): cancels its deadline. */
  settling: (() => void) | undefined;
}

/** One circuit that ends at us: its streams. */
class ExitCircuit {
  readonly policy: ExitCircuitPolicy;
  readonly streams = new Map<number, Stream>();
  /** Payers of ended streams: what they acknowledged stays spent, and their peers' proposals are answered until teardown. */
  private readonly endedPayers: ExitPayer[] = [];
  private infoHash: string | undefined;
  private readonly salt: Uint8Array;
  private closed = false;
  private tornDown = false;
  private readonly ackTimer: ReturnType<typeof setInterval>;

  constructor(
    private readonly end: CircuitEnd,
    private readonly o: ExitRelayOptions,
    private readonly forget: () => void,
  ) {
    this.policy = new ExitCircuitPolicy(o.policy());
    this.salt = o.random(16);
    end.onClose(() => this.close());
    // Payments through the circuit come in steps: acknowledge what they cover as they arrive.
    this.ackTimer = setInterval(() => this.acknowledge(), ACK_CHECK_MS);
  }

  on(m: ExitMessage): void {
    if (this.closed) return;
    switch (m.command) {
      case 'begin':
        return void this.begin(m);
      case 'data':
        return this.fromOriginator(m.streamId, m.data);
      case 'sendme': {
        const v = this.policy.sendme(m.streamId, m.bytes);
        if (!v.ok) return this.endStream(m.streamId, v.end, true);
        return this.pump(this.streams.get(m.streamId));
      }
      case 'verified': {
        const v = this.policy.verified(m.streamId, m.bytes);
        if (!v.ok) return this.endStream(m.streamId, v.end, true);
        const s = this.streams.get(m.streamId);
        if (s !== undefined) s.verified = BigInt(v.total);
        return this.acknowledge();
      }
      case 'end':
        this.policy.end(m.streamId);
        return this.settleStream(m.streamId);
      case 'connected':
        return; // only the exit says connected
    }
  }

  private async begin(b: ExitBegin): Promise<void> {
    const v = this.policy.begin(b);
    if (!v.ok) return this.reply({ command: 'end', streamId: b.streamId, reason: v.end });
    const infoHash = toHex(b.infoHash);
    if (this.infoHash === undefined) {
      this.infoHash = infoHash;
      this.o.dialer.join(infoHash, b.trackers.length > 0 ? b.trackers : this.o.policy().ownTrackers);
    }
    const s: Stream = { id: b.streamId, peer: undefined, splice: undefined, payer: undefined, held: this.holdFromSwarm(() => s), toOriginator: [], buffered: 0, sending: false, verified: 0n, forwarded: 0, closed: false, settling: undefined };
    this.streams.set(b.streamId, s);
    let peer: SwarmPeer;
    try {
      peer = await this.o.dialer.take(infoHash);
    } catch {
      this.policy.end(b.streamId);
      return this.endStream(b.streamId, 'no-peer', true);
    }
    if (s.closed || this.closed) return this.o.dialer.done(infoHash, peer);
    const tag = sha256(concatBytes(this.salt, utf8.encode(peer.id))).subarray(0, PEER_TAG_BYTES);
    const c = this.policy.connected(b.streamId, tag);
    if (!c.ok) {
      this.o.dialer.done(infoHash, peer);
      return this.endStream(b.streamId, c.end, true);
    }
    s.peer = peer;
    s.payer = new ExitPayer(
      {
        infoHash,
        exitPeerId: toHex(this.o.dialer.peerId),
        signer: this.o.signer,
        ledger: this.o.ledger,
        send: (payload) => {
          const framed = s.splice?.payToSwarm(payload);
          if (framed !== undefined && !s.closed) peer.conn.write(framed);
        },
      },
      this.o.random(NONCE_BYTES),
    );
    // A peer that switched keys or sent junk on the pay extension is no longer one we pay.
    s.payer.onClose = () => this.endStream(s.id, 'protocol', true);
    s.splice = new ExitSplice({ exitPeerId: this.o.dialer.peerId, payFields: s.payer.handshakeFields });
    peer.conn.on('data', (chunk) => this.fromSwarm(s, chunk as Uint8Array));
    // Only news while the stream is open: we close the connection of every stream we end.
    peer.conn.once('close', () => {
      if (!s.closed) this.endStream(s.id, 'peer-closed', s.settling === undefined);
    });
    await this.reply({ command: 'connected', streamId: b.streamId, peerTag: tag });
  }

  private fromOriginator(streamId: number, data: Uint8Array): void {
    const s = this.streams.get(streamId);
    const v = this.policy.fromOriginator(streamId, data);
    if (!v.ok) return this.endStream(streamId, v.end, true);
    if (s?.splice === undefined || s.peer === undefined) return;
    let out: Uint8Array;
    try {
      out = s.splice.fromOriginator(v.forward);
    } catch {
      return this.endStream(streamId, 'protocol', true);
    }
    const delivered = (): void => {
      const credit = this.policy.delivered(streamId, data.length);
      if (credit > 0) void this.reply({ command: 'sendme', streamId, bytes: credit });
    };
    // Credit goes back once the peer's connection took the bytes, or when it drains: a slow peer holds the originator to its window.
    if (out.length === 0 || s.peer.conn.write(out)) return delivered();
    s.peer.conn.once('drain', delivered);
  }

  private fromSwarm(s: Stream, chunk: Uint8Array): void {
    if (s.closed || s.splice === undefined) return;
    let out: { toOriginator: Uint8Array; pay: Uint8Array[] };
    const hadHandshake = s.splice.swarmHandshake !== undefined;
    try {
      out = s.splice.fromSwarm(chunk);
    } catch {
      return this.endStream(s.id, 'protocol', true);
    }
    if (!hadHandshake && s.splice.swarmHandshake !== undefined && s.splice.swarmPeerId !== undefined) void s.payer?.onPeerHandshake(s.splice.swarmHandshake, s.splice.swarmPeerId);
    for (const p of out.pay) s.payer?.onMessage(p);
    // After the circuit closed, or the originator ended the stream, only the peer's pay messages matter (see close, settleStream).
    if (this.closed || s.settling !== undefined) return;
    if (out.toOriginator.length > 0) void s.held.write(out.toOriginator);
  }

  /**
   * A peer's wire writes each block on its own, and sent as they came most of its blocks took a
   * cell each: held until they fill a full cell or the peer pauses, they go out about a dozen to one.
   */
  private holdFromSwarm(stream: () => Stream): WriteCoalescer {
    return holdWrites(
      MAX_EXIT_DATA_BYTES,
      async (data) => {
        const s = stream();
        if (s.closed || this.closed || s.settling !== undefined) return;
        s.toOriginator.push(data);
        s.buffered += data.length;
        // Held here until the originator returns credit: stop reading the peer rather than buffer without bound.
        if (s.buffered > EXIT_BUFFER_BYTES) s.peer?.conn.pause();
        this.pump(s);
      },
      () => undefined, // queueing for the pump does not fail
      this.o.timers,
    );
  }

  /** Sends what the peer sent us, as the originator's credit allows, one cell at a time per stream. */
  private pump(s: Stream | undefined): void {
    if (s === undefined || s.sending || s.closed || s.settling !== undefined) return;
    const hold = this.o.seams?.beforeForward?.(s.forwarded);
    if (hold !== undefined) {
      s.sending = true;
      return void hold.then(() => {
        s.sending = false;
        this.pumpNow(s);
      });
    }
    this.pumpNow(s);
  }

  private pumpNow(s: Stream): void {
    if (s.sending || s.closed || s.settling !== undefined) return;
    const most = Math.min(this.policy.sendCredit(s.id), MAX_EXIT_DATA_BYTES, s.buffered);
    if (most <= 0) return;
    const credit = exitDataChunk(most);
    const data = take(s, credit);
    const v = this.policy.fromSwarm(s.id, data);
    if (!v.ok) return this.endStream(s.id, v.end, true);
    if (s.buffered <= EXIT_BUFFER_BYTES / 2) s.peer?.conn.resume();
    if (v.forward.length === 0) return this.pumpNow(s);
    s.sending = true;
    s.forwarded += v.forward.length;
    void this.reply({ command: 'data', streamId: s.id, data: v.forward }).finally(() => {
      s.sending = false;
      this.pump(s);
    });
  }

  /**
   * Acknowledges to each stream's peer what the originator verified of it,
   * as far as the originator has paid us for it through the circuit (the
   * surplus over what we carried): we never owe a swarm peer more than the
   * originator paid.
   */
  private acknowledge(): void {
    let budget = this.end.surplus();
    for (const p of this.payers()) budget -= p.acknowledged;
    for (const s of this.streams.values()) {
      if (s.payer === undefined || budget <= 0n) continue;
      const more = s.verified - s.payer.acknowledged;
      if (more <= 0n) continue;
      const step = more < budget ? more : budget;
      budget -= step;
      s.payer.acknowledge(s.payer.acknowledged + step);
    }
    for (const s of [...this.streams.values()]) if (s.settling !== undefined && this.settled(s)) this.endStream(s.id, 'done', false);
  }

  /**
   * The originator is done with a stream. Its last verified bytes are paid in
   * its final step, which may reach us after this end (as its circuit closes):
   * the peer stays connected, for pay messages only, until what the originator
   * verified is acknowledged and agreed, or EXIT_SETTLE_AFTER_CLOSE_MS passed.
   * Ending at once would leave the swarm peer unpaid for bytes the originator
   * paid us for.
   */
  private settleStream(streamId: number): void {
    const s = this.streams.get(streamId);
    if (s === undefined || s.settling !== undefined) return this.endStream(streamId, 'done', false);
    s.held.dispose();
    s.toOriginator = [];
    s.buffered = 0;
    if (this.settled(s)) return this.endStream(streamId, 'done', false);
    const deadline = setTimeout(() => this.endStream(streamId, 'done', false), EXIT_SETTLE_AFTER_CLOSE_MS);
    s.settling = () => clearTimeout(deadline);
  }

  /** Nothing the originator verified of this stream's peer is left to acknowledge or to agree to. */
  private settled(s: Stream): boolean {
    return s.payer === undefined || s.payer.settledUpTo(s.verified);
  }

  /** The seeder with this key asks to be paid: one of our streams with it answers. */
  accept(key: Uint8Array, up: bigint): true | string | undefined {
    let refusal: string | undefined;
    for (const p of this.payers()) {
      if (p.remoteKey === undefined || !bytesEqual(p.remoteKey, key)) continue;
      const r = p.accept(up);
      if (r === true) return true;
      refusal = r;
    }
    return refusal;
  }

  /** Every payer of this circuit, of open streams and ended ones. */
  private payers(): ExitPayer[] {
    return [...this.endedPayers, ...[...this.streams.values()].flatMap((s) => (s.payer === undefined ? [] : [s.payer]))];
  }

  private endStream(streamId: number, reason: EndReason, tell: boolean): void {
    const s = this.streams.get(streamId);
    this.policy.end(streamId);
    if (s !== undefined) {
      if (s.closed) return;
      s.closed = true;
      s.held.dispose();
      s.settling?.();
      this.streams.delete(streamId);
      s.payer?.close();
      if (s.payer !== undefined) this.endedPayers.push(s.payer);
      if (s.peer !== undefined && this.infoHash !== undefined) this.o.dialer.done(this.infoHash, s.peer);
    }
    if (tell && !this.closed) void this.reply({ command: 'end', streamId, reason });
  }

  private async reply(m: ExitMessage): Promise<void> {
    await this.end.reply(encodeExitMessage(m)).catch(() => undefined); // a closed circuit closes us too
  }

  /**
   * The circuit closed: its streams carry no more data, but their payers stay
   * a while. The originator's final payment through the circuit comes as it
   * closes, and what it covers is still acknowledged to the swarm peers (over
   * their connections, still open) and paid when they ask.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.policy.closeCircuit();
    for (const s of this.streams.values()) {
      s.held.dispose();
      s.toOriginator = [];
      s.buffered = 0;
    }
    setTimeout(() => this.teardown(), EXIT_SETTLE_AFTER_CLOSE_MS);
  }

  /** Ends every stream now, telling the originator that we stopped exiting. */
  stop(): void {
    for (const id of [...this.streams.keys()]) this.endStream(id, 'exit-off', true);
    this.closed = true;
    this.policy.closeCircuit();
    this.teardown();
  }

  private teardown(): void {
    // Once: stop() may come while a closed circuit settles, and its swarm must be released only once.
    if (this.tornDown) return;
    this.tornDown = true;
    clearInterval(this.ackTimer);
    for (const id of [...this.streams.keys()]) this.endStream(id, 'done', false);
    if (this.infoHash !== undefined) this.o.dialer.release(this.infoHash);
    this.forget();
  }
}

/** The bytes at the front of a stream's buffer, up to `n`. */
function take(s: Stream, n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const head = s.toOriginator[0]!;
    const part = head.length <= n - got ? head : head.subarray(0, n - got);
    if (part === head) s.toOriginator.shift();
    else s.toOriginator[0] = head.subarray(part.length);
    parts.push(part);
    got += part.length;
  }
  s.buffered -= got;
  return parts.length === 1 ? parts[0]! : concatBytes(...parts);
}

export class ExitRelay {
  private readonly circuits = new Map<string, ExitCircuit>();

  constructor(private readonly o: ExitRelayOptions) {}

  /** Exit stream data at the end of a circuit someone built to us. */
  handle(end: CircuitEnd, data: Uint8Array): void {
    let m: ExitMessage;
    try {
      m = decodeExitMessage(data);
    } catch {
      return; // a malformed message is dropped; the circuit's own limits catch a flood
    }
    let c = this.circuits.get(end.id);
    if (c === undefined) {
      if (m.command !== 'begin') return;
      if (!this.o.exiting()) return void end.reply(encodeExitMessage({ command: 'end', streamId: m.streamId, reason: 'exit-off' })).catch(() => undefined);
      c = new ExitCircuit(end, this.o, () => this.circuits.delete(end.id));
      this.circuits.set(end.id, c);
    }
    c.on(m);
  }

  /** A BANDWIDTH proposal from `from`: true or why not when it is a swarm peer we pay as an exit; undefined when it is not. */
  accept(from: PeerRef, up: bigint): true | string | undefined {
    let refusal: string | undefined;
    for (const c of this.circuits.values()) {
      const r = c.accept(from.publicKey, up);
      if (r === true) return true;
      refusal ??= r;
    }
    return refusal;
  }

  /** Exiting turned off (or the tab stops): every stream ends now, its originator told why. */
  stopAll(): void {
    for (const c of [...this.circuits.values()]) c.stop();
  }

  get openCircuits(): number {
    return this.circuits.size;
  }
}
