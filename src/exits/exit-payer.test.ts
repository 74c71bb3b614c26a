import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { nobleSigner } from '../crypto/signers.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { SignRefusedError, type LedgerChannel, type LedgerService } from '../ledger/ledger-service.ts';
import type { LedgerMessage } from '../ledger/ledger-wire.ts';
import { MemoryHub } from '../ledger/memory-transport.ts';
import { startTestLedger, type TestLedger } from '../ledger/test-ledger.ts';
import { testPeer, transfer } from '../ledger/test-support.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from '../ledger/transactions/bandwidth.ts';
import { until } from '../circuits/test-support.ts';
import { identityChallenge, verifyIdentityProof } from '../sharing/identity-proof.ts';
import { decodePayMessage, encodePayMessage, NONCE_BYTES, payHandshakeFields, type PayMessage } from '../sharing/pay-wire.ts';
import { EXIT_PAY_REQUEST_TIMEOUT_MS, MAX_BAD_EXIT_PAY_MESSAGES } from './constants.ts';
import { EXIT_PEER_PREFIX, ExitPayer, ExitPayerError, type ExitPayerContext } from './exit-payer.ts';

const INFO_HASH = 'aa'.repeat(20);
const EXIT_PEER_ID = 'e1'.repeat(20);
const SWARM_PEER_ID = '5e'.repeat(20);
const EXIT_SEED = new Uint8Array(32).fill(1);
const SEEDER_SEED = new Uint8Array(32).fill(2);
const exitSigner = nobleSigner(EXIT_SEED);
const seederSigner = nobleSigner(SEEDER_SEED);
const OUR_NONCE = new Uint8Array(NONCE_BYTES).fill(0xa1);
const SEEDER_NONCE = new Uint8Array(NONCE_BYTES).fill(0xb2);
const seederHandshake = (key = seederSigner.publicKey) => ({ m: { ut_metadata: 1 }, ...payHandshakeFields(key, SEEDER_NONCE) });

/** The seeder's proof for this stream: what an honest seeder signs (prover = the seeder, verifier = the exit, our nonce). */
const seederProof = (over: Partial<{ signer: typeof seederSigner; nonce: Uint8Array; prover: string; verifier: string }> = {}) =>
  (over.signer ?? seederSigner).sign(identityChallenge(INFO_HASH, over.prover ?? SWARM_PEER_ID, over.verifier ?? EXIT_PEER_ID, over.nonce ?? OUR_NONCE));

const encode = (m: PayMessage) => encodePayMessage(m);

/** A payer on a fake ledger (serve and own head only), with what it sent decoded and a hand-driven clock. */
function payerOnFakeLedger(head?: HalfBlock) {
  const sent: PayMessage[] = [];
  const timers: { run(): void; ms: number; cancelled: boolean }[] = [];
  const serve = vi.fn(async (): Promise<LedgerMessage | undefined> => ({ type: 'crawl-response', latestSeq: 0, blocks: [] }));
  const ledger = { serve, own: { latestTokenBlock: head } } as unknown as Pick<LedgerService, 'serve' | 'own'>;
  const ctx: ExitPayerContext = {
    infoHash: INFO_HASH,
    exitPeerId: EXIT_PEER_ID,
    signer: exitSigner,
    ledger,
    send: (p) => sent.push(decodePayMessage(p)),
    schedule: (run, ms) => {
      const t = { run, ms, cancelled: false };
      timers.push(t);
      return () => (t.cancelled = true);
    },
  };
  const payer = new ExitPayer(ctx, OUR_NONCE);
  const closes: string[] = [];
  payer.onClose = (reason) => closes.push(reason);
  return { payer, sent, timers, serve, closes, of: <T extends PayMessage['type']>(type: T) => sent.filter((m): m is Extract<PayMessage, { type: T }> => m.type === type) };
}

async function identifiedPayer(head?: HalfBlock) {
  const s = payerOnFakeLedger(head);
  await s.payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
  s.payer.onMessage(encode({ type: 'proof', signature: await seederProof() }));
  expect(s.payer.identified).toBe(true);
  return s;
}

const crawl = (publicKey: Uint8Array): LedgerMessage => ({ type: 'crawl-request', publicKey, start: 1, end: -1, limit: 10 });

describe('ExitPayer: identity', () => {
  it('puts our key and nonce in the handshake, and sends a proof bound to this stream (infohash, both peer ids, the peer’s nonce)', async () => {
    const { payer, of } = payerOnFakeLedger();
    expect(payer.handshakeFields).toEqual(payHandshakeFields(exitSigner.publicKey, OUR_NONCE));
    await payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
    const [proof] = of('proof');
    expect(proof).toBeDefined();
    const sig = proof!.signature;
    expect(verifyIdentityProof(sig, exitSigner.publicKey, INFO_HASH, EXIT_PEER_ID, SWARM_PEER_ID, SEEDER_NONCE)).toBe(true);
    // Useless on another connection: another nonce, another peer, another torrent, or reflected back.
    expect(verifyIdentityProof(sig, exitSigner.publicKey, INFO_HASH, EXIT_PEER_ID, SWARM_PEER_ID, OUR_NONCE)).toBe(false);
    expect(verifyIdentityProof(sig, exitSigner.publicKey, INFO_HASH, EXIT_PEER_ID, 'ff'.repeat(20), SEEDER_NONCE)).toBe(false);
    expect(verifyIdentityProof(sig, exitSigner.publicKey, 'bb'.repeat(20), EXIT_PEER_ID, SWARM_PEER_ID, SEEDER_NONCE)).toBe(false);
    expect(verifyIdentityProof(sig, exitSigner.publicKey, INFO_HASH, SWARM_PEER_ID, EXIT_PEER_ID, SEEDER_NONCE)).toBe(false);
    expect(payer.remoteKey).toEqual(seederSigner.publicKey);
    expect(payer.peerRef).toEqual({ id: `${EXIT_PEER_PREFIX}${INFO_HASH}:${SWARM_PEER_ID}`, publicKey: seederSigner.publicKey });
  });

  it('identifies the peer only by a proof over our nonce under its handshake key, and sends our head then', async () => {
    const exit = testPeer('exit', EXIT_SEED[0]!);
    const head = transfer(testPeer('other', 9), exit, 10n).agreement;
    const { payer, of } = payerOnFakeLedger(head);
    // A proof before any handshake has no key to check against.
    payer.onMessage(encode({ type: 'proof', signature: await seederProof() }));
    await payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
    expect(payer.identified).toBe(false);
    const forged = [
      await seederProof({ nonce: SEEDER_NONCE }), // its own nonce: a proof replayed from another connection
      await seederProof({ signer: nobleSigner(new Uint8Array(32).fill(3)) }), // another key than it announced
      await seederProof({ verifier: 'ff'.repeat(20) }), // made for another peer
      await seederProof({ prover: EXIT_PEER_ID, verifier: SWARM_PEER_ID }), // our own proof's shape
    ];
    for (const signature of forged) payer.onMessage(encode({ type: 'proof', signature }));
    expect(payer.identified).toBe(false);
    expect(of('head')).toHaveLength(0);
    payer.onMessage(encode({ type: 'proof', signature: await seederProof() }));
    expect(payer.identified).toBe(true);
    expect(of('head').map((m) => m.block)).toEqual([head]);
    // Once: a repeated proof changes nothing (no second head).
    payer.onMessage(encode({ type: 'proof', signature: await seederProof() }));
    expect(of('head')).toHaveLength(1);
  });

  it('refuses the peer’s ledger requests until it proved its key, then serves them over this stream', async () => {
    const { payer, sent, serve } = payerOnFakeLedger();
    await payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
    payer.onMessage(encode({ type: 'ledger', requestId: 7, message: crawl(seederSigner.publicKey) }));
    expect(serve).not.toHaveBeenCalled();
    expect(sent.at(-1)).toEqual({ type: 'ledger', requestId: 7, message: { type: 'sign-refused', code: 'policy', reason: 'prove your key on this connection first' } });
    payer.onMessage(encode({ type: 'proof', signature: await seederProof() }));
    payer.onMessage(encode({ type: 'ledger', requestId: 8, message: crawl(seederSigner.publicKey) }));
    await until(() => sent.at(-1)?.type === 'ledger' && (sent.at(-1) as { requestId: number }).requestId === 8, 'the answer');
    expect(serve).toHaveBeenCalledWith(payer.peerRef, crawl(seederSigner.publicKey), payer.channel);
    expect(sent.at(-1)).toEqual({ type: 'ledger', requestId: 8, message: { type: 'crawl-response', latestSeq: 0, blocks: [] } });
  });

  it('closes when a later handshake names another key, drops it or adds one; a repeat of the same is ignored', async () => {
    const other = nobleSigner(new Uint8Array(32).fill(4)).publicKey;
    for (const [first, second] of [
      [seederHandshake(), seederHandshake(other)],
      [seederHandshake(), { m: {} }],
      [{ m: {} }, seederHandshake()],
    ] as const) {
      const { payer, closes } = payerOnFakeLedger();
      await payer.onPeerHandshake(first, SWARM_PEER_ID);
      await payer.onPeerHandshake(first, SWARM_PEER_ID);
      expect(closes).toEqual([]);
      const pending = payer.remoteKey === undefined ? undefined : payer.channel.request(crawl(other), 60_000);
      await payer.onPeerHandshake(second, SWARM_PEER_ID);
      expect(closes).toEqual(['key-switch']);
      expect(payer.closeReason).toBe('key-switch');
      if (pending !== undefined) await expect(pending).rejects.toMatchObject({ code: 'closed' });
    }
  });

  it('neither proves nor pays when the peer is ourselves (a loop back to the exit’s own seeding)', async () => {
    const { payer, sent } = payerOnFakeLedger();
    await payer.onPeerHandshake(seederHandshake(exitSigner.publicKey), SWARM_PEER_ID);
    payer.acknowledge(1000n);
    expect(sent).toEqual([]);
    expect(payer.remoteKey).toBeUndefined();
    expect(payer.accept(10n)).toMatch(/proven/);
    await expect(payer.channel.request(crawl(exitSigner.publicKey), 1000)).rejects.toMatchObject({ code: 'no-extension' });
  });
});

describe('ExitPayer: acknowledging and agreeing', () => {
  it('acknowledges a total that never decreases, sending an ack only when it grew (held until the peer’s handshake)', async () => {
    const { payer, of } = payerOnFakeLedger();
    payer.acknowledge(100n);
    expect(of('ack')).toEqual([]);
    await payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
    expect(of('ack').map((m) => m.verifiedBytes)).toEqual([100n]);
    payer.acknowledge(100n);
    payer.acknowledge(50n);
    expect(payer.acknowledged).toBe(100n);
    payer.acknowledge(250n);
    expect(of('ack').map((m) => m.verifiedBytes)).toEqual([100n, 250n]);
  });

  it('agrees only to acknowledged bytes not yet agreed: more than acknowledged, the same bytes twice, or nothing are refused', async () => {
    const { payer } = payerOnFakeLedger();
    await payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
    payer.acknowledge(1000n);
    expect(payer.accept(600n)).toMatch(/proven its key/);
    payer.onMessage(encode({ type: 'proof', signature: await seederProof() }));
    expect(payer.accept(1001n)).toMatch(/1001 bytes; 1000 bytes from you are acknowledged and unpaid/);
    expect(payer.accept(600n)).toBe(true);
    expect(payer.accept(600n)).toMatch(/400 bytes/);
    expect(payer.accept(0n)).toMatch(/unpaid/);
    expect(payer.accept(-5n)).toMatch(/unpaid/);
    expect(payer.accept(400n)).toBe(true);
    expect(payer.accept(1n)).toMatch(/0 bytes/);
    expect(payer.agreed).toBe(1000n);
  });

  it('is settled up to what the originator verified only once all of it is agreed and the agreement has gone out; a peer that never proved its key is owed nothing', async () => {
    const unproven = payerOnFakeLedger();
    await unproven.payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
    expect(unproven.payer.settledUpTo(1000n)).toBe(true);

    const { payer, serve, of } = await identifiedPayer();
    payer.acknowledge(600n);
    expect(payer.settledUpTo(1000n)).toBe(false);
    // The peer proposes over the stream: the ledger agrees (accept) and then persists before replying.
    let reply!: (m: LedgerMessage) => void;
    serve.mockImplementationOnce(() => new Promise<LedgerMessage | undefined>((r) => (reply = r)));
    payer.onMessage(encode({ type: 'ledger', requestId: 4, message: crawl(seederSigner.publicKey) }));
    expect(payer.accept(600n)).toBe(true);
    payer.acknowledge(1000n);
    expect(payer.accept(400n)).toBe(true);
    expect(payer.settledUpTo(1000n)).toBe(false);
    reply({ type: 'sign-refused', code: 'policy', reason: 'stand-in for the agreement' });
    await until(() => of('ledger').length === 1, 'the reply sent');
    expect(payer.settledUpTo(1000n)).toBe(true);
    expect(payer.settledUpTo(1001n)).toBe(false);
  });
});

describe('ExitPayer: ledger requests to the peer', () => {
  it('times out after the bound (not the ledger’s longer wait), and ignores an answer that comes late', async () => {
    const { payer, timers, of } = await identifiedPayer();
    let outcome: unknown;
    const request = payer.channel.request(crawl(seederSigner.publicKey), 10 * EXIT_PAY_REQUEST_TIMEOUT_MS).then(
      (m) => (outcome = m),
      (e: unknown) => (outcome = e),
    );
    expect(timers.map((t) => t.ms)).toEqual([EXIT_PAY_REQUEST_TIMEOUT_MS]);
    const [sent] = of('ledger');
    timers[0]!.run();
    await request;
    expect(outcome).toBeInstanceOf(ExitPayerError);
    expect(outcome).toMatchObject({ code: 'timeout' });
    payer.onMessage(encode({ type: 'ledger', requestId: sent!.requestId, message: { type: 'crawl-response', latestSeq: 1, blocks: [] } }));
    expect(outcome).toMatchObject({ code: 'timeout' });
  });

  it('resolves with the peer’s answer to that request id, and rejects what is pending, or asked, after close', async () => {
    const { payer, timers, of } = await identifiedPayer();
    const answered = payer.channel.request(crawl(seederSigner.publicKey), 1000);
    const dropped = payer.channel.request(crawl(seederSigner.publicKey), 1000);
    const [first] = of('ledger');
    const answer: LedgerMessage = { type: 'crawl-response', latestSeq: 3, blocks: [] };
    payer.onMessage(encode({ type: 'ledger', requestId: first!.requestId, message: answer }));
    await expect(answered).resolves.toEqual(answer);
    expect(timers[0]!.cancelled).toBe(true);
    payer.close();
    await expect(dropped).rejects.toMatchObject({ code: 'closed' });
    expect(timers[1]!.cancelled).toBe(true);
    await expect(payer.channel.request(crawl(seederSigner.publicKey), 1000)).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('ExitPayer: malformed messages', () => {
  it('tolerates a bounded number of malformed messages or failed proofs, then asks for the stream to close', async () => {
    const { payer, closes, sent, serve } = payerOnFakeLedger();
    await payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
    const before = sent.length;
    for (let i = 0; i < MAX_BAD_EXIT_PAY_MESSAGES - 1; i++) payer.onMessage(new Uint8Array([99, i]));
    payer.onMessage(encode({ type: 'proof', signature: new Uint8Array(64) }));
    expect(closes).toEqual([]);
    payer.onMessage(new Uint8Array([]));
    expect(closes).toEqual(['malformed']);
    expect(payer.closeReason).toBe('malformed');
    // Closed: a valid proof and requests after it are not acted on.
    payer.onMessage(encode({ type: 'proof', signature: await seederProof() }));
    payer.onMessage(encode({ type: 'ledger', requestId: 1, message: crawl(seederSigner.publicKey) }));
    expect(payer.identified).toBe(false);
    expect(serve).not.toHaveBeenCalled();
    expect(sent.length).toBe(before);
  });

  it('never throws on arbitrary bytes, and never identifies a peer from them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), async (messages) => {
        const { payer, closes } = payerOnFakeLedger();
        await payer.onPeerHandshake(seederHandshake(), SWARM_PEER_ID);
        for (const m of messages) payer.onMessage(m);
        expect(payer.identified).toBe(false);
        expect(closes.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});

// ---- end to end with two real ledgers ----------------------------------------------------------------

let dbSeq = 0;
const ledgers: TestLedger[] = [];
afterEach(() => {
  for (const l of ledgers.splice(0)) l.ledger.stop();
});

/** The seeder's side of trustmesh_pay, reduced to what the exchange needs: its proof, the acks it saw, the ledger both ways. */
class SeederEnd {
  identified = false;
  acked = 0n;
  private readonly pending = new Map<number, (m: LedgerMessage) => void>();
  private nextId = 1;
  readonly channel: LedgerChannel = {
    request: (message) =>
      new Promise((resolve) => {
        const requestId = this.nextId++;
        this.pending.set(requestId, resolve);
        this.toExit({ type: 'ledger', requestId, message });
      }),
  };

  constructor(
    private readonly me: TestLedger,
    private readonly exit: TestLedger,
    private readonly payer: ExitPayer,
  ) {}

  private toExit(m: PayMessage): void {
    queueMicrotask(() => this.payer.onMessage(encodePayMessage(m)));
  }

  async prove(): Promise<void> {
    this.toExit({ type: 'proof', signature: await nobleSigner(this.me.seed).sign(identityChallenge(INFO_HASH, SWARM_PEER_ID, EXIT_PEER_ID, OUR_NONCE)) });
  }

  async fromExit(payload: Uint8Array): Promise<void> {
    const m = decodePayMessage(payload);
    if (m.type === 'proof') this.identified = verifyIdentityProof(m.signature, this.exit.ref.publicKey, INFO_HASH, EXIT_PEER_ID, SWARM_PEER_ID, SEEDER_NONCE);
    if (m.type === 'ack') this.acked = m.verifiedBytes;
    if (m.type !== 'ledger') return;
    const { requestId, message } = m;
    const answer = this.pending.get(requestId);
    if (answer !== undefined && (message.type === 'sign-response' || message.type === 'sign-refused' || message.type === 'crawl-response')) {
      this.pending.delete(requestId);
      return answer(message);
    }
    const reply = await this.me.ledger.serve(this.exit.ref, message);
    if (reply !== undefined) this.toExit({ type: 'ledger', requestId, message: reply });
  }

  /** Asks the exit, over the stream, to countersign a BANDWIDTH block for `up` bytes. */
  propose(up: bigint) {
    return this.me.ledger.propose(this.exit.ref, BANDWIDTH, (totals) => bandwidthType.encode(nextBandwidth(totals, up, 0n)), this.channel);
  }
}

describe('ExitPayer: a full exchange with two real ledgers', () => {
  it('the seeder proposes over the stream; the exit countersigns within what it acknowledged and refuses beyond', async () => {
    // Not connected on the hub: every ledger message goes over the stream.
    const hub = new MemoryHub();
    const seeder = await startTestLedger(hub, 'seeder', SEEDER_SEED, `exit-payer-${++dbSeq}`);
    const exit = await startTestLedger(hub, 'exit', EXIT_SEED, `exit-payer-${++dbSeq}`);
    ledgers.push(seeder, exit);
    let end: SeederEnd | undefined;
    const payer = new ExitPayer({ infoHash: INFO_HASH, exitPeerId: EXIT_PEER_ID, signer: exitSigner, ledger: exit.ledger, send: (p) => void end!.fromExit(p) }, OUR_NONCE);
    end = new SeederEnd(seeder, exit, payer);
    // As the exit's sharing policy will: a proposal from this stream's peer is answered by its payer.
    exit.ledger.setAcceptancePolicy(BANDWIDTH, ({ proposal, from }) => (from.id === payer.peerRef?.id ? payer.accept(bandwidthType.decode(proposal.transaction).up) : 'not a peer of ours'));

    await payer.onPeerHandshake(seederHandshake(seeder.ref.publicKey), SWARM_PEER_ID);
    await end.prove();
    await until(() => payer.identified && end.identified, 'both sides proven');

    payer.acknowledge(64_000n);
    await until(() => end.acked === 64_000n, 'the ack');
    const { agreement } = await end.propose(40_000n);
    expect(toHex(agreement.publicKey)).toBe(toHex(exit.ref.publicKey));
    expect(exit.ledger.ownTotals()).toMatchObject({ totalDown: 40_000n });

    const refused = await end.propose(40_000n).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SignRefusedError);
    expect((refused as SignRefusedError).reason).toMatch(/24000 bytes from you are acknowledged and unpaid/);
    await end.propose(24_000n);
    expect(exit.ledger.ownTotals()).toMatchObject({ totalDown: 64_000n });
    // The refused proposal stays in the seeder's chain, unpaired: its credit counts for nothing.
    expect((await seeder.ledger.verifiedBalance(seeder.ref.publicKey)).net).toBe(64_000n);
    expect(payer.agreed).toBe(64_000n);

    // The exit's ledger reaches the seeder's chain over the same stream (how it crawls a proposer).
    const crawled = await payer.channel.request(crawl(seeder.ref.publicKey), 5_000);
    expect(crawled).toMatchObject({ type: 'crawl-response', latestSeq: 3 });
  });
});
