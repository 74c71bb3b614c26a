/**
 * The exit relay's side of `trustmesh_pay` toward one swarm peer (the seeder) on one exit stream. Pure: its
 * ledger, signer, clock and outlet are injected.
 *
 * The exit is the payer the seeder sees, under the exit's key, so no block names the downloader. It plays the
 * downloader role of peer-link.ts without a WebTorrent Wire (ExitSplice carries the messages):
 * - the proof we send is bound to this connection (infohash, both peer ids, the peer's nonce);
 * - the peer's proof is checked once, against our nonce and the key of its first extended handshake, and nothing
 *   of its ledger is served before; a later handshake naming another key ends the stream (`onClose`);
 * - we acknowledge only what the glue tells us (`acknowledge`: verified bytes the downloader paid the exit for),
 *   and agree to be charged (`accept`) only for acknowledged bytes not yet agreed: the exit is never out of pocket;
 * - ledger requests we send the peer time out and fail when the stream closes; malformed messages past a bound
 *   end the stream.
 */
import type { MessageSigner } from '../crypto/signers.ts';
import { bytesEqual } from '../codec/bytes.ts';
import type { LedgerChannel, LedgerService } from '../ledger/ledger-service.ts';
import type { PeerRef } from '../ledger/ledger-transport.ts';
import type { LedgerMessage } from '../ledger/ledger-wire.ts';
import { DownloadAccount } from '../sharing/accounting.ts';
import { identityChallenge, verifyIdentityProof } from '../sharing/identity-proof.ts';
import { handshakeVerdict, type BoundKey } from '../sharing/key-binding.ts';
import { decodePayMessage, encodePayMessage, payHandshakeFields, readPayHandshake, type PayMessage, type RefusalReason } from '../sharing/pay-wire.ts';
import { EXIT_PAY_REQUEST_TIMEOUT_MS, MAX_BAD_EXIT_PAY_MESSAGES } from './constants.ts';

/** Ledger peer ids of swarm peers met through an exit stream start with this (libp2p ids never do). */
export const EXIT_PEER_PREFIX = 'exit:';

/** Why the payer wants its stream ended: the peer named another key than it bound the stream to, or sent junk. */
export type ExitPayerCloseReason = 'key-switch' | 'malformed';

export class ExitPayerError extends Error {
  override name = 'ExitPayerError';
  constructor(
    readonly code: 'closed' | 'timeout' | 'no-extension',
    message: string,
  ) {
    super(message);
  }
}

export interface ExitPayerContext {
  /** Hex. */
  infoHash: string;
  /** Hex: the peer id the swarm saw from us (ExitSplice.exitPeerIdHex). */
  exitPeerId: string;
  /** The exit's identity. */
  signer: MessageSigner;
  /** serve() answers the peer's ledger requests; own.latestTokenBlock is our head. */
  ledger: Pick<LedgerService, 'serve' | 'own'>;
  /** Sends a pay message (encoded) to the peer: ExitSplice.payToSwarm, then write. */
  send(payload: Uint8Array): void;
  /** Runs `run` after `ms`; returns a cancel. Default: setTimeout. */
  schedule?: (run: () => void, ms: number) => () => void;
}

interface PendingRequest {
  resolve(m: LedgerMessage): void;
  reject(e: Error): void;
  cancel(): void;
}

const defaultSchedule = (run: () => void, ms: number): (() => void) => {
  const timer = setTimeout(run, ms);
  return () => clearTimeout(timer);
};

export class ExitPayer {
  readonly handshakeFields: Record<string, unknown>;
  /** Set by the glue: the payer found the stream no longer payable and closed itself; end the stream. Not called for close(). */
  onClose: (reason: ExitPayerCloseReason) => void = () => undefined;
  /** Why the payer closed itself, if it did. */
  closeReason: ExitPayerCloseReason | undefined;
  /** Why the peer keeps us choked, as it told us. */
  refusedUs: { reason: RefusalReason; balance: bigint; threshold: bigint } | undefined;
  private readonly account = new DownloadAccount();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly schedule: (run: () => void, ms: number) => () => void;
  /** The key the first extended handshake named (null: none, or our own); fixed for the stream. */
  private boundKey: BoundKey;
  private key: Uint8Array | undefined;
  private swarmPeerId: string | undefined;
  private isIdentified = false;
  /** The acknowledged total the peer was last sent. */
  private ackSent = 0n;
  private nextRequestId = 1;
  private badMessages = 0;
  /** Ledger requests from the peer being answered (a proposal's agreement is on its way until its reply is sent). */
  private serving = 0;
  private closed = false;

  constructor(
    private readonly ctx: ExitPayerContext,
    private readonly nonce: Uint8Array,
  ) {
    this.handshakeFields = payHandshakeFields(ctx.signer.publicKey, nonce);
    this.schedule = ctx.schedule ?? defaultSchedule;
  }

  /** The key the peer named in its first extended handshake (proven once `identified`). */
  get remoteKey(): Uint8Array | undefined {
    return this.key;
  }

  /** The peer proved its key on this stream. */
  get identified(): boolean {
    return this.isIdentified;
  }

  /** Bytes of the peer's data we acknowledged, in total. */
  get acknowledged(): bigint {
    return this.account.verified;
  }

  /** Bytes we agreed to pay the peer for (countersigned, or being countersigned). */
  get agreed(): bigint {
    return this.account.agreed;
  }

  /** The peer as the ledger sees it: the id the BANDWIDTH acceptance policy finds this payer by. */
  get peerRef(): PeerRef | undefined {
    return this.key === undefined ? undefined : { id: `${EXIT_PEER_PREFIX}${this.ctx.infoHash}:${this.swarmPeerId}`, publicKey: this.key };
  }

  /** The ledger, spoken to the peer over this stream (the ledger may crawl a proposer through it). */
  readonly channel: LedgerChannel = {
    request: (message, timeoutMs) =>
      new Promise((resolve, reject) => {
        if (this.closed) return reject(new ExitPayerError('closed', 'the exit stream closed'));
        if (this.key === undefined) return reject(new ExitPayerError('no-extension', 'the swarm peer does not speak trustmesh_pay'));
        const id = this.nextRequestId++;
        const cancel = this.schedule(
          () => {
            this.pending.delete(id);
            reject(new ExitPayerError('timeout', 'the swarm peer did not answer on the exit stream'));
          },
          Math.min(timeoutMs, EXIT_PAY_REQUEST_TIMEOUT_MS),
        );
        this.pending.set(id, { resolve, reject, cancel });
        this.send({ type: 'ledger', requestId: id, message });
      }),
  };

  /**
   * The peer's extended handshake (with its pay fields), and its BitTorrent peer id (hex). Call it before
   * passing on the pay messages that followed the handshake. Sends our proof for this stream.
   */
  async onPeerHandshake(handshake: Record<string, unknown>, swarmPeerId: string): Promise<void> {
    if (this.closed) return;
    const fields = readPayHandshake(handshake);
    const verdict = handshakeVerdict(this.boundKey, fields?.publicKey ?? null);
    if (verdict === 'switch') return this.fail('key-switch');
    if (verdict === 'repeat') return;
    // Our own key (a loop back to ourselves) is bound too, so the stream stays unpaid rather than switching.
    this.boundKey = fields?.publicKey ?? null;
    if (fields === undefined || bytesEqual(fields.publicKey, this.ctx.signer.publicKey)) return;
    this.key = fields.publicKey;
    this.swarmPeerId = swarmPeerId;
    const signature = await this.ctx.signer.sign(identityChallenge(this.ctx.infoHash, this.ctx.exitPeerId, swarmPeerId, fields.nonce));
    this.send({ type: 'proof', signature });
    this.flushAck();
  }

  /** A trustmesh_pay message from the peer. */
  onMessage(payload: Uint8Array): void {
    if (this.closed) return;
    let m: PayMessage;
    try {
      m = decodePayMessage(payload);
    } catch {
      return this.strike();
    }
    switch (m.type) {
      case 'proof':
        return this.onProof(m.signature);
      case 'refused':
        this.refusedUs = { reason: m.reason, balance: m.balance, threshold: m.threshold };
        return;
      case 'ledger':
        return void this.onLedger(m.requestId, m.message);
      // The exit does not rank the seeder (head) nor upload to it (ack).
      case 'head':
      case 'ack':
        return;
    }
  }

  /** The cumulative bytes of the peer's data we acknowledge; an ack goes out only when it grew. */
  acknowledge(total: bigint): void {
    if (total <= this.account.verified) return;
    this.account.verified = total;
    this.flushAck();
  }

  /**
   * Our answer to the peer's request to be paid `up` bytes (its BANDWIDTH proposal): true, or why not.
   * Still answers after close: a proposal in flight when the stream ended (or sent over another route)
   * is for bytes the downloader already paid the exit for.
   */
  accept(up: bigint): true | string {
    if (!this.isIdentified) return 'the peer has not proven its key on this connection';
    if (!this.account.canAgree(up)) {
      return `you asked to be paid for ${up} bytes; ${this.account.verified - this.account.agreed} bytes from you are acknowledged and unpaid`;
    }
    this.account.onAgreed(up);
    return true;
  }

  /**
   * Whether the peer was agreed payment for `verified` bytes (all of them acknowledged) with no agreement
   * still on its way to it, or was never payable (it did not prove a key): nothing more is owed over this stream.
   */
  settledUpTo(verified: bigint): boolean {
    if (!this.isIdentified) return true;
    return this.account.agreed >= verified && this.serving === 0;
  }

  /** The stream ended: pending ledger requests fail, nothing more is sent or served. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      p.cancel();
      p.reject(new ExitPayerError('closed', 'the exit stream closed'));
    }
    this.pending.clear();
  }

  private onProof(signature: Uint8Array): void {
    // Once per stream; a proof before the handshake has no key to check against.
    if (this.isIdentified || this.key === undefined || this.swarmPeerId === undefined) return;
    // A bad proof counts as junk: no peer makes us verify signatures without bound.
    if (!verifyIdentityProof(signature, this.key, this.ctx.infoHash, this.swarmPeerId, this.ctx.exitPeerId, this.nonce)) return this.strike();
    this.isIdentified = true;
    const head = this.ctx.ledger.own.latestTokenBlock;
    if (head !== undefined) this.send({ type: 'head', block: head });
  }

  private async onLedger(requestId: number, message: LedgerMessage): Promise<void> {
    if (message.type === 'sign-response' || message.type === 'sign-refused' || message.type === 'crawl-response') {
      const p = this.pending.get(requestId);
      if (p === undefined) return;
      this.pending.delete(requestId);
      p.cancel();
      p.resolve(message);
      return;
    }
    const from = this.peerRef;
    if (!this.isIdentified || from === undefined) {
      this.send({ type: 'ledger', requestId, message: { type: 'sign-refused', code: 'policy', reason: 'prove your key on this connection first' } });
      return;
    }
    this.serving++;
    try {
      const reply = await this.ctx.ledger.serve(from, message, this.channel).catch((err: Error) => ({ type: 'sign-refused' as const, code: 'policy' as const, reason: err.message }));
      if (reply !== undefined) this.send({ type: 'ledger', requestId, message: reply });
    } finally {
      this.serving--;
    }
  }

  private flushAck(): void {
    if (this.key === undefined || this.account.verified <= this.ackSent) return;
    this.ackSent = this.account.verified;
    this.send({ type: 'ack', verifiedBytes: this.ackSent });
  }

  private strike(): void {
    if (++this.badMessages > MAX_BAD_EXIT_PAY_MESSAGES) this.fail('malformed');
  }

  private fail(reason: ExitPayerCloseReason): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.close();
    this.onClose(reason);
  }

  private send(m: PayMessage): void {
    if (!this.closed) this.ctx.send(encodePayMessage(m));
  }
}
