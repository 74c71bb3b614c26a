/**
 * One BitTorrent connection to a peer, as the payment extension sees it:
 * who the peer is (a key proven on this connection), what it has shown of its
 * balance, what it owes us and what we owe it, and the ledger exchanges that
 * settle the difference. Browser glue around the pure accounting.
 */
import type { Wire } from 'webtorrent';
import type { MessageSigner } from '../crypto/signers.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { verifyBlockSignature } from '../ledger/block-codec.ts';
import type { LedgerChannel, LedgerService, VerifiedBalance } from '../ledger/ledger-service.ts';
import type { PeerRef } from '../ledger/ledger-transport.ts';
import type { LedgerMessage } from '../ledger/ledger-wire.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from '../ledger/transactions/bandwidth.ts';
import type { TransactionRegistry } from '../ledger/transactions/registry.ts';
import { bytesEqual, toHex } from '../codec/bytes.ts';
import { DownloadAccount, UploadAccount } from './accounting.ts';
import { PAY_EXTENSION } from './constants.ts';
import type { DebtBook } from './debt-book.ts';
import { identityChallenge, verifyIdentityProof } from './identity-proof.ts';
import { handshakeVerdict, type BoundKey } from './key-binding.ts';
import { decodePayMessage, encodePayMessage, NONCE_BYTES, payHandshakeFields, readPayHandshake, type PayMessage, type RefusalReason } from './pay-wire.ts';

/** Ledger peer ids of BitTorrent connections start with this (libp2p ids never do). */
export const WIRE_PEER_PREFIX = 'bt:';

/** A ledger request over the wire that gets no answer within this is treated like a lost peer. */
const WIRE_REQUEST_TIMEOUT_MS = 15_000;
/** Malformed extension messages tolerated before the connection is dropped. */
const MAX_BAD_MESSAGES = 8;

export interface LinkContext {
  ledger: LedgerService;
  signer: MessageSigner;
  registry: TransactionRegistry;
  infoHash: string;
  myPeerId: string;
  /** Something a view shows changed. */
  changed(): void;
  /** A payment settled: `earned` true when we were paid, false when we paid. */
  settled(link: PeerLink, bytes: bigint, earned: boolean): void;
  /** Whether payments may go over a direct libp2p connection to the peer (else only the wire). */
  preferDirect(): boolean;
  /** Checks the peer's chain (fetching it over this connection if needed) and sets link.verified. */
  verify(link: PeerLink): void;
  /** What each key owes us and we owe it, across connections (the pool for unproven peers). */
  debts: DebtBook;
  /** Whether the policy refuses this peer now (its window, its balance less what it owes, the stock allowance). */
  refuses(link: PeerLink): boolean;
  /** Bytes it acknowledges between our payment proposals: fewer while it is in debt (policy.proposalStep). */
  proposalStep(link: PeerLink): bigint;
  /** The peer named another key than the one it bound this connection to; the wire is closed. */
  keySwitched(link: PeerLink): void;
}

export class PeerLink {
  /** Charged to the stock pool until the peer proves a key, then to that key's debt. */
  readonly upload: UploadAccount;
  readonly download = new DownloadAccount();
  /** Undefined until the peer's extended handshake: then whether it speaks our extension. */
  hasExtension: boolean | undefined;
  remoteKey: Uint8Array | undefined;
  identified = false;
  /** The peer's latest token-carrying block: where its chain ends. */
  head: HalfBlock | undefined;
  /** The net (up − down) that head claims: the policy counts it when lower than the verified balance (PeerFacts.admittedNet). */
  admittedNet: bigint | undefined;
  /** The peer's balance as checked from its signed chain (undefined until checked). */
  verified: VerifiedBalance | undefined;
  /** Why this peer keeps us choked, as it told us. */
  refusedUs: { reason: RefusalReason; balance: bigint; threshold: bigint } | undefined;
  /** How our last settled payment request reached the peer (diagnostics). */
  lastPaymentRoute: 'direct' | 'wire' | undefined;
  /** The refusal we last told this peer about (so we tell it once). */
  lastNotice: RefusalReason | undefined;
  private readonly nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  private remoteNonce: Uint8Array | undefined;
  private readonly pending = new Map<number, { resolve(m: LedgerMessage): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();
  private nextRequestId = 1;
  private badMessages = 0;
  private closed = false;
  /** The key the first extended handshake named (null: none); fixed for the connection. */
  private boundKey: BoundKey;
  /** Folds this connection's live figures into its key's record when it closes. */
  private detachBooks: (() => void) | undefined;
  /** The key's payments (DebtAccount.paidTotal) when `verified` was read: later ones are not in the balance. */
  paidAtVerify = 0n;

  constructor(
    readonly wire: Wire,
    private readonly ctx: LinkContext,
  ) {
    this.upload = new UploadAccount(ctx.debts.pool());
    Object.assign(wire.extendedHandshake, payHandshakeFields(ctx.signer.publicKey, this.nonce));
    wire.on('upload', (bytes: number) => {
      this.upload.onSent(bytes);
      // Refusal takes hold at once, not at the next rechoke: past the key's window, below the threshold
      // counting what it owes now, or past the stock allowance, it gets no more; what it acknowledged is settled.
      if (!wire.amChoking && ctx.refuses(this)) {
        wire.choke();
        this.settle(true);
        ctx.changed();
      }
    });
    // A peer whose handshake lacks our extension never reaches onExtendedHandshake: a stock client.
    wire.on('extended', (ext: string) => {
      if (ext !== 'handshake' || wire.peerExtendedMapping[PAY_EXTENSION] !== undefined) return;
      if (handshakeVerdict(this.boundKey, null) === 'switch') return this.onKeySwitch();
      if (this.boundKey === undefined) {
        this.boundKey = null;
        this.hasExtension = false;
        ctx.changed();
      }
    });
    wire.on('unchoke', () => {
      if (this.refusedUs !== undefined) {
        this.refusedUs = undefined;
        ctx.changed();
      }
    });
    wire.on('uninterested', () => this.settle(true));
    wire.once('close', () => this.close());
  }

  /** The peer's verified balance, once its whole chain up to its head has been checked. */
  get balance(): bigint | undefined {
    return this.verified?.complete === true ? this.verified.net : undefined;
  }

  get peerRef(): PeerRef | undefined {
    return this.remoteKey === undefined ? undefined : { id: `${WIRE_PEER_PREFIX}${this.ctx.infoHash}:${this.wire.peerId}`, publicKey: this.remoteKey };
  }

  private send(m: PayMessage): void {
    if (this.closed || this.hasExtension !== true) return;
    try {
      this.wire.extended(PAY_EXTENSION, encodePayMessage(m));
    } catch {
      // The wire closed under us; its close handler cleans up.
    }
  }

  /** The ledger, spoken over this connection. */
  readonly channel: LedgerChannel = {
    request: (message, timeoutMs) =>
      new Promise((resolve, reject) => {
        if (this.closed) return reject(new Error('the connection closed'));
        const id = this.nextRequestId++;
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error('the peer did not answer on the BitTorrent wire'));
        }, Math.min(timeoutMs, WIRE_REQUEST_TIMEOUT_MS));
        this.pending.set(id, { resolve, reject, timer });
        this.send({ type: 'ledger', requestId: id, message });
      }),
  };

  async onExtendedHandshake(handshake: Record<string, unknown>): Promise<void> {
    const fields = readPayHandshake(handshake);
    // The first handshake fixes the key for the life of the connection.
    const verdict = handshakeVerdict(this.boundKey, fields?.publicKey ?? null);
    if (verdict === 'switch') return this.onKeySwitch();
    if (verdict === 'repeat') return;
    this.boundKey = fields?.publicKey ?? null;
    this.hasExtension = fields !== undefined;
    if (fields === undefined) return this.ctx.changed();
    if (bytesEqual(fields.publicKey, this.ctx.signer.publicKey)) {
      // Our own identity in another tab or a loop back to ourselves: nothing to pay.
      this.hasExtension = false;
      return this.ctx.changed();
    }
    this.remoteKey = fields.publicKey;
    this.remoteNonce = fields.nonce;
    const signature = await this.ctx.signer.sign(identityChallenge(this.ctx.infoHash, this.ctx.myPeerId, this.wire.peerId, fields.nonce));
    this.send({ type: 'proof', signature });
    this.ctx.changed();
  }

  onMessage(bytes: Uint8Array): void {
    let m: PayMessage;
    try {
      m = decodePayMessage(bytes);
    } catch {
      if (++this.badMessages > MAX_BAD_MESSAGES) this.wire.destroy();
      return;
    }
    void this.dispatch(m);
  }

  private async dispatch(m: PayMessage): Promise<void> {
    switch (m.type) {
      case 'proof':
        // Once per connection: a repeated proof would bind its debts twice.
        if (!this.identified && this.remoteKey !== undefined && verifyIdentityProof(m.signature, this.remoteKey, this.ctx.infoHash, this.wire.peerId, this.ctx.myPeerId, this.nonce)) {
          this.identified = true;
          this.bindDebts(this.remoteKey);
          this.sendHead();
          this.ctx.changed();
          // What this key acknowledged on an earlier connection and left unpaid is proposed now.
          this.settle(false);
        }
        return;
      case 'head':
        return this.onHead(m.block);
      case 'ack':
        this.upload.onAck(m.verifiedBytes);
        // A peer that lost interest is done with us, and one we refuse gets no more: settle the remainder too.
        this.settle(!this.wire.peerInterested || this.ctx.refuses(this));
        return;
      case 'refused':
        this.refusedUs = { reason: m.reason, balance: m.balance, threshold: m.threshold };
        this.ctx.changed();
        return;
      case 'ledger':
        return this.onLedger(m.requestId, m.message);
    }
  }

  private onHead(block: HalfBlock): void {
    if (!this.identified || this.remoteKey === undefined || !bytesEqual(block.publicKey, this.remoteKey)) return;
    if (this.head !== undefined && block.sequenceNumber <= this.head.sequenceNumber) return;
    const tokens = this.ctx.registry.tokensOf(block);
    if (!verifyBlockSignature(block) || tokens == null) return;
    this.head = block;
    this.admittedNet = tokens.totalUp - tokens.totalDown;
    // Its balance is never raised by the head's totals: its chain is checked, pair by pair (a lower net is its own admission).
    this.ctx.verify(this);
    this.ctx.changed();
  }

  private async onLedger(requestId: number, message: LedgerMessage): Promise<void> {
    if (message.type === 'sign-response' || message.type === 'sign-refused' || message.type === 'crawl-response') {
      const p = this.pending.get(requestId);
      if (p === undefined) return;
      this.pending.delete(requestId);
      clearTimeout(p.timer);
      p.resolve(message);
      return;
    }
    const from = this.peerRef;
    if (!this.identified || from === undefined) {
      this.send({ type: 'ledger', requestId, message: { type: 'sign-refused', code: 'policy', reason: 'prove your key on this connection first' } });
      return;
    }
    const reply = await this.ctx.ledger.serve(from, message, this.channel).catch((err: Error) => ({ type: 'sign-refused' as const, code: 'policy' as const, reason: err.message }));
    if (reply !== undefined) this.send({ type: 'ledger', requestId, message: reply });
  }

  /** Tells the peer we keep it choked, and why. */
  notifyRefused(reason: RefusalReason, balance: bigint, threshold: bigint): void {
    this.send({ type: 'refused', reason, balance, threshold });
  }

  /** Sends our latest token block (our balance); again whenever our chain grows. */
  sendHead(): void {
    const head = this.ctx.ledger.own.latestTokenBlock;
    if (head !== undefined && this.identified) this.send({ type: 'head', block: head });
  }

  /** Acknowledges the bytes from this peer that were credited (DownloadGuard), in steps or, `final`, all. */
  sendAck(final: boolean): void {
    const total = this.download.ackDue(final);
    if (total !== undefined) this.send({ type: 'ack', verifiedBytes: total });
  }

  /** Proposes payment for acknowledged bytes when due; `final` settles the remainder at the end. */
  settle(final: boolean): void {
    if (final) this.upload.askFinal();
    const peer = this.peerRef;
    if (!this.identified || peer === undefined || this.closed) return;
    const amount = this.upload.nextProposal(false, this.ctx.proposalStep(this));
    if (amount === undefined) return;
    this.upload.onProposed(amount);
    // Over the BitTorrent wire a proposal queues behind up to a second of piece
    // data; a direct libp2p connection to the same key carries it at once. The
    // wire stays the fallback, for the same proposal.
    const direct = this.ctx.preferDirect() ? this.ctx.ledger.directPeer(peer.publicKey) : undefined;
    const wire = { peer, channel: this.channel };
    const [first, ...rest] = direct === undefined ? [wire] : [{ peer: direct }, wire];
    this.ctx.ledger
      .propose(first!.peer, BANDWIDTH, (totals) => bandwidthType.encode(nextBandwidth(totals, amount, 0n)), first!.channel, rest)
      .then(
        ({ routeIndex }) => {
          this.lastPaymentRoute = direct !== undefined && routeIndex === 0 ? 'direct' : 'wire';
          this.upload.onAgreed(amount);
          this.ctx.settled(this, amount, true);
        },
        () => this.upload.onUnanswered(amount),
      )
      .finally(() => {
        this.ctx.changed();
        this.settle(false);
      });
  }

  /** Our answer to this peer's request to be paid `up` bytes: true, or why not. */
  accept(up: bigint): true | string {
    if (!this.identified || this.remoteKey === undefined) return 'the peer has not proven its key on this connection';
    if (!this.download.canAgree(up)) {
      // What we owe its key from connections now closed pays first: an honest peer whose connection dropped is paid on the next.
      const carried = this.ctx.debts.account(toHex(this.remoteKey));
      const own = up > carried.carriedOwed ? up - carried.carriedOwed : 0n;
      if (!(own === 0n || this.download.canAgree(own)) || !carried.spendOwed(up - own)) {
        return `you asked to be paid for ${up} bytes; ${this.download.verified - this.download.agreed + carried.carriedOwed} bytes from you passed their hash check and are unpaid`;
      }
      if (own > 0n) this.download.onAgreed(own);
      this.ctx.settled(this, up, false);
      return true;
    }
    this.download.onAgreed(up);
    this.ctx.settled(this, up, false);
    return true;
  }

  /** The key is proven: bytes from now on are its debt, and this connection's figures count with the key's (and survive a reload). */
  private bindDebts(key: Uint8Array): void {
    const account = this.ctx.debts.account(toHex(key));
    this.upload.bind(account);
    this.paidAtVerify = account.paidTotal;
    this.detachBooks = account.attach({
      carryable: () => this.upload.carryable,
      owed: () => this.download.verified - this.download.agreed,
    });
  }

  /** A second handshake named another key (or dropped or added one): the connection is no longer anyone's. */
  private onKeySwitch(): void {
    this.ctx.keySwitched(this);
    this.wire.destroy();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.upload.close();
    this.detachBooks?.();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('the connection closed'));
    }
    this.pending.clear();
  }
}
