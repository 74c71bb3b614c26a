/**
 * Single requests to a peer (payments above all: a sign request every few MiB
 * of a transfer) share one ledger stream per peer while they keep coming,
 * instead of opening a data channel each: measured between two tabs, 100
 * payments in a row cost ~50 ms of CPU each, ~20 of them the browser's and
 * WebRTC's work of setting up the channel. A stream is given up once idle
 * (our side ends it, before the answering side's own idle limit does), once
 * it failed, or once it is no longer usable (its connection closed, or the
 * peer has a newer one: after a reload the old one lingers, dead, for a while).
 */
import type { Stream } from '@libp2p/interface';
import { LedgerSession } from './ledger-stream.ts';
import type { PeerRef } from './ledger-transport.ts';
import type { LedgerMessage } from './ledger-wire.ts';

/** A stream is ended this long after its last answer: well under INBOUND_READ_TIMEOUT_MS (ledger-stream.ts), so the answering side never ends it under a request. */
export const SESSION_IDLE_MS = 5_000;

interface Kept {
  session: LedgerSession;
  /** The stream, once open. */
  stream?: Stream;
  busy: boolean;
  idle?: ReturnType<typeof setTimeout>;
}

export class PeerSessions {
  private readonly byPeer = new Map<string, Kept>();

  constructor(
    private readonly open: (peer: PeerRef, signal: AbortSignal) => Promise<Stream>,
    /** Whether a stream opened to `peer` earlier is still the one to use. */
    private readonly usable: (peer: PeerRef, stream: Stream) => boolean,
    private readonly idleMs = SESSION_IDLE_MS,
  ) {}

  async request(peer: PeerRef, message: LedgerMessage, timeoutMs: number): Promise<LedgerMessage> {
    const kept = this.idle(peer);
    // One request at a time on a kept stream: answers come in the order asked, so a slow one (a sign
    // request whose handling crawls us first) would hold back the next, and its timeout would end both.
    if (kept === undefined) return this.once(peer, message, timeoutMs);
    clearTimeout(kept.idle);
    kept.busy = true;
    try {
      return await kept.session.request(message, timeoutMs);
    } catch (err) {
      // The session aborted its stream: the next request opens another.
      this.drop(peer.id, kept);
      throw err;
    } finally {
      kept.busy = false;
      if (this.byPeer.get(peer.id) === kept) kept.idle = setTimeout(() => this.drop(peer.id, kept), this.idleMs);
    }
  }

  /** Ends every kept stream (the transport stops). */
  closeAll(): void {
    for (const [id, kept] of [...this.byPeer]) this.drop(id, kept);
  }

  /** A request on a stream of its own, ended after the answer. */
  private async once(peer: PeerRef, message: LedgerMessage, timeoutMs: number): Promise<LedgerMessage> {
    const session = new LedgerSession((signal) => this.open(peer, signal));
    try {
      return await session.request(message, timeoutMs);
    } finally {
      void session.close();
    }
  }

  /** The kept session to `peer` if it is idle and its stream still usable, a new one if there is none (or it was unusable); undefined while it is busy. */
  private idle(peer: PeerRef): Kept | undefined {
    const kept = this.byPeer.get(peer.id);
    if (kept !== undefined) {
      if (kept.stream === undefined || this.usable(peer, kept.stream)) return kept.busy ? undefined : kept;
      this.drop(peer.id, kept);
    }
    const fresh: Kept = {
      busy: false,
      session: new LedgerSession(async (signal) => {
        const stream = await this.open(peer, signal);
        fresh.stream = stream;
        return stream;
      }),
    };
    this.byPeer.set(peer.id, fresh);
    return fresh;
  }

  private drop(id: string, kept: Kept): void {
    clearTimeout(kept.idle);
    if (this.byPeer.get(id) === kept) this.byPeer.delete(id);
    // Answers still awaited on it are read first (LedgerSession.close).
    void kept.session.close();
  }
}
