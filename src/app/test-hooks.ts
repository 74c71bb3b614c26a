/**
 * Handles for Playwright tests and benchmarks, installed only in builds made
 * with `vite build --mode test` (see main.ts); production builds drop this module.
 */
import { peerIdFromString } from '@libp2p/peer-id';
import { fromHex, toHex } from '../codec/bytes.ts';
import { EDGE_VECTORS } from '../crypto/ed25519-edge-vectors.ts';
import { bestSigner } from '../crypto/signers.ts';
import { decodeBlock, encodeBlock } from '../ledger/block-codec.ts';
import type { HalfBlock } from '../ledger/block.ts';
import { signWith, unsignedAgreement, unsignedProposal } from '../ledger/chain.ts';
import { Ingestor } from '../ledger/ingest.ts';
import { peerRef } from '../ledger/libp2p-transport.ts';
import type { PeerRef } from '../ledger/ledger-transport.ts';
import { MemoryBlockStore } from '../ledger/memory-store.ts';
import { forgeDoubleSign } from '../ledger/test-support.ts';
import { BANDWIDTH, bandwidthType, nextBandwidth } from '../ledger/transactions/bandwidth.ts';
import type { AppSession } from './app-session.ts';
import { running } from './hooks/running.ts';
import { classifyConnection } from '../net/peer-table.ts';
import { circuitHooks } from './hooks/circuits.ts';
import { relayTableHooks } from './hooks/relay-tables.ts';
import { moneyHooks } from './hooks/money.ts';
import { sharingJunkHooks } from './hooks/sharing-junk.ts';
import { ledgerFloodHooks } from './hooks/ledger-flood.ts';
import { sharingDebtHooks } from './hooks/sharing-debt.ts';
import { downloadHooks } from './hooks/downloads.ts';
import { exitHooks } from './hooks/exits.ts';
import { reputationHooks } from './hooks/reputation.ts';
import { walletHooks } from './hooks/wallet.ts';
import { marketHooks } from './hooks/market.ts';
import { miningHooks } from './hooks/mining.ts';
import { discoveryHooks } from './hooks/discovery.ts';
import { hiddenHooks } from './hooks/hidden.ts';
import { storageHooks } from './hooks/storage.ts';
import { timeDownload, type TimedDownload } from './hooks/timed-download.ts';
import type { LedgerRuntime } from './ledger-runtime.ts';


function ref(peerId: string): PeerRef {
  const r = peerRef(peerIdFromString(peerId));
  if (r === undefined) throw new Error(`not an Ed25519 peer: ${peerId}`);
  return r;
}

const pay = (up: bigint) => (t: Parameters<typeof nextBandwidth>[0]) => bandwidthType.encode(nextBandwidth(t, up, 0n));

function ledgerHooks(session: AppSession) {
  const ledger = (): LedgerRuntime => running(session).ledger;
  return {
    publicKey: () => toHex(ledger().service.publicKey),
    acceptAll: () => ledger().service.setAcceptancePolicy(BANDWIDTH, () => true),
    async pay(peerId: string, bytes: number) {
      const { proposal, agreement } = await ledger().service.propose(ref(peerId), BANDWIDTH, pay(BigInt(bytes)));
      return { proposalSeq: proposal.sequenceNumber, agreementSeq: agreement.sequenceNumber };
    },
    async payError(peerId: string, bytes: number): Promise<string> {
      try {
        await ledger().service.propose(ref(peerId), BANDWIDTH, pay(BigInt(bytes)));
        return 'accepted';
      } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`;
      }
    },
    forgeDoubleSign: (a: string, b: string) => forgeDoubleSign(ledger().service, ledger().signer, ref(a), ref(b), BANDWIDTH, pay(1000n), Date.now()),
    /** The next commit reloads the page after the block is durable and before it is sent. */
    crashAfterNextCommit() {
      session.seams!.ledger.afterCommit = () => {
        location.reload();
        throw new Error('simulated crash');
      };
    },
    crawlChain: (peerId: string, publicKeyHex: string) => ledger().service.crawlChain(ref(peerId), fromHex(publicKeyHex)),
    async inspect(publicKeyHex: string, limit = 100) {
      return (await ledger().service.inspectChain(fromHex(publicKeyHex), limit)).map((e) => ({
        seq: e.block.sequenceNumber,
        outcome: e.outcome,
        linked: e.linked !== undefined,
        unconfirmed: e.unconfirmed,
        up: e.tokens?.up.toString(),
        down: e.tokens?.down.toString(),
        counterparty: toHex(e.block.linkPublicKey),
        type: e.block.type,
      }));
    },
    isFraudster: (publicKeyHex: string) => ledger().service.isFraudster(fromHex(publicKeyHex)),
    engine: () => ledger().pool.engine(),
    async compareEngines() {
      const items = EDGE_VECTORS.map((v) => ({ message: fromHex(v.message), publicKey: fromHex(v.publicKey), signature: fromHex(v.signature) }));
      return { ...(await ledger().pool.compare(items)), expected: EDGE_VECTORS.map((v) => v.valid) };
    },
  };
}

/** Deterministic pseudo-random bytes (xorshift32), so tests can generate the same file twice. */
function generatedBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return out;
}

async function sha256Hex(blob: Blob): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())));
}

function sharingHooks(session: AppSession) {
  const sharing = () => running(session).sharing;
  return {
    async seedGenerated(size: number, name: string, seed = 1, opts: { hidden?: boolean } = {}): Promise<{ infoHash: string; magnet: string; sha256: string }> {
      const file = new File([generatedBytes(size, seed) as BlobPart], name);
      const infoHash = await sharing().seed([file], opts);
      return { infoHash, magnet: sharing().views().find((v) => v.infoHash === infoHash)!.magnetURI, sha256: await sha256Hex(file) };
    },
    add: (magnetOrTorrent: string) => sharing().add(magnetOrTorrent),
    announceNow: (infoHash: string) => sharing().announceNow(infoHash),
    swarmPeers: (infoHash: string) => sharing().swarmPeers(infoHash),
    remove: (infoHash: string) => sharing().remove(infoHash),
    /** Downloads a magnet (directly, or hidden over `hops` relays on our side) and times it from add to done, first peer and first byte. */
    async downloadTimed(magnet: string, hiddenHops?: number): Promise<TimedDownload> {
      const start = performance.now();
      const infoHash = hiddenHops === undefined ? await sharing().add(magnet) : await sharing().addHidden(magnet);
      const timed = timeDownload(sharing(), infoHash, start);
      if (hiddenHops !== undefined) await running(session).hidden.reach(infoHash, hiddenHops);
      return timed;
    },
    ownChainLength: () => running(session).ledger.service.own.latest?.sequenceNumber ?? 0,
    /** The .torrent file of a torrent we hold, base64. */
    torrentFileBase64: (infoHash: string) => {
      const file = sharing().torrentFile(infoHash);
      return file === undefined ? undefined : btoa(Array.from(file, (b) => String.fromCharCode(b)).join(''));
    },
    views: () => sharing().views().map((v) => ({ ...v, earned: v.earned.toString(), paid: v.paid.toString(), refusals: v.refusals && { ...v.refusals, balance: v.refusals.balance.toString(), threshold: v.refusals.threshold.toString() } })),
    fileSha256: async (infoHash: string, index = 0) => sha256Hex(await sharing().fileBlob(infoHash, index)),
    accounts: (infoHash: string) => sharing().accounts(infoHash),
    /** A leecher that stops paying: refuses every payment request, and pays nothing over circuits. */
    setWithholdAgreements: (on: boolean) => {
      const seams = session.seams!.sharing;
      seams.refuseAgreement = on ? () => 'this peer withholds agreements (test hook)' : undefined;
      seams.beforeCircuitPay = on ? () => false : undefined;
    },
    setPreferDirect: (on: boolean) => {
      sharing().preferDirect = on;
    },
    setPolicy: (s: Partial<import('../sharing/settings.ts').PolicySettings>) => sharing().saveSettings({ ...sharing().settings, ...s }),
    setUploadLimit: (bytesPerSecond: number | undefined) => sharing().setUploadLimit(bytesPerSecond),
    balance: async () => {
      const b = await sharing().ownBalance();
      return { up: b.up.toString(), down: b.down.toString(), net: b.net.toString() };
    },
  };
}

/** Benchmarks that run inside the tab (figures for `npm run bench`). */
function benchHooks(session: AppSession) {
  const ledger = (): LedgerRuntime => running(session).ledger;
  return {
    /** Verifies and validates encoded blocks (base64) against an in-memory store, with the chosen engine. */
    async validate(encodedB64: string[], engine: 'webcrypto' | 'noble'): Promise<{ ms: number; valid: number }> {
      const blocks: HalfBlock[] = encodedB64.map((b) => decodeBlock(Uint8Array.from(atob(b), (c) => c.charCodeAt(0))));
      const { pool, registry } = ledger();
      await pool.use(engine);
      try {
        const ingestor = new Ingestor(Object.assign(new MemoryBlockStore(), { putMany: async () => [] }), registry, pool);
        const start = performance.now();
        const { validated } = await ingestor.validateBatch(blocks);
        const ms = performance.now() - start;
        return { ms, valid: validated.filter((v) => v.result.outcome !== 'invalid').length };
      } finally {
        await pool.use('webcrypto');
      }
    },
    /** Where validation time goes: decoding, pool verification alone, validation alone. */
    async validateBreakdown(encodedB64: string[]): Promise<Record<string, number>> {
      const { pool, registry } = ledger();
      let t = performance.now();
      const blocks: HalfBlock[] = encodedB64.map((b) => decodeBlock(Uint8Array.from(atob(b), (c) => c.charCodeAt(0))));
      const decodeMs = performance.now() - t;
      t = performance.now();
      await pool.verifyEncodedBlocks(blocks.map((b) => encodeBlock(b)));
      const verifyMs = performance.now() - t;
      const noCrypto = new Ingestor(Object.assign(new MemoryBlockStore(), { putMany: async () => [] }), registry, { verifyEncodedBlocks: async (xs) => xs.map(() => true) });
      t = performance.now();
      await noCrypto.validateBatch(blocks);
      const validateMs = performance.now() - t;
      return { decodeMs, verifyMs, validateMs, workers: pool.size };
    },
    /**
     * Signs `pairs` proposal+agreement pairs (our proposals, agreements by an in-tab
     * counterparty key) and commits each pair with strict durability, `concurrency`
     * at a time, so group commit batches them. Also builds chains for the crawl bench.
     */
    async persistPairs(pairs: number, concurrency = 64): Promise<{ ms: number; seq: number }> {
      const service = ledger().service;
      const other = await bestSigner(crypto.getRandomValues(new Uint8Array(32)));
      const me = await bestSigner(running(session).identity.seed);
      let otherHead: HalfBlock | undefined;
      let otherTotals: ReturnType<typeof nextBandwidth> | undefined;
      const one = (): Promise<HalfBlock[]> =>
        service.own.sign(async (head, totals) => {
          const p = await signWith(me, unsignedProposal(me.publicKey, head, other.publicKey, BANDWIDTH, pay(1024n)(totals), Date.now()));
          otherTotals = nextBandwidth(otherTotals, 0n, 1024n);
          const a = await signWith(other, unsignedAgreement(other.publicKey, otherHead, p, bandwidthType.encode(otherTotals), Date.now()));
          otherHead = a;
          return [p, a];
        });
      const start = performance.now();
      let started = 0;
      const worker = async (): Promise<void> => {
        while (started < pairs) {
          started++;
          await one();
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, pairs) }, worker));
      return { ms: performance.now() - start, seq: service.own.latest?.sequenceNumber ?? 0 };
    },
    encodeOwnChainSample: async (n: number) => (await ledger().service.ownChain(n)).map((b) => btoa(String.fromCharCode(...encodeBlock(b)))),
  };
}

export interface TestHooks {
  session: AppSession;
  phase(): string;
  speedTest(peerId: string, uploadBytes: number, downloadBytes: number): Promise<{ uploadMs: number; downloadMs: number }>;
  /** Open direct WebRTC connections to a peer: more than one means both sides dialed. */
  directConnections(peerId: string): number;
  /** Dials under way: none once the network has settled. */
  dialsInFlight(): number;
  /** Connections this tab cut for an unanswered ping (diagnostics for failures). */
  livenessCuts(): { peer: string; at: number; reason: string }[];
  ledger: ReturnType<typeof ledgerHooks>;
  sharing: ReturnType<typeof sharingHooks>;
  bench: ReturnType<typeof benchHooks>;
  circuits: ReturnType<typeof circuitHooks>;
  money: ReturnType<typeof moneyHooks>;
  sharingJunk: ReturnType<typeof sharingJunkHooks>;
  ledgerFlood: ReturnType<typeof ledgerFloodHooks>;
  sharingDebt: ReturnType<typeof sharingDebtHooks>;
  downloads: ReturnType<typeof downloadHooks>;
  exits: ReturnType<typeof exitHooks>;
  reputation: ReturnType<typeof reputationHooks>;
  wallet: ReturnType<typeof walletHooks>;
  market: ReturnType<typeof marketHooks>;
  mining: ReturnType<typeof miningHooks>;
  discovery: ReturnType<typeof discoveryHooks>;
  hidden: ReturnType<typeof hiddenHooks>;
  relayTables: ReturnType<typeof relayTableHooks>;
  storage: ReturnType<typeof storageHooks>;
}

export function installTestHooks(session: AppSession): void {
  const hooks: TestHooks = {
    session,
    phase: () => session.current.phase,
    speedTest: (peerId, up, down) => running(session).service.speedTest(peerId, up, down),
    directConnections: (peerId) =>
      running(session).service.node.getConnections(peerIdFromString(peerId)).filter((c) => classifyConnection({ remoteAddr: c.remoteAddr.toString(), limited: c.limits != null }) === 'webrtc').length,
    dialsInFlight: () => running(session).service.dialsInFlight(),
    livenessCuts: () => running(session).service.livenessCuts,
    ledger: ledgerHooks(session),
    sharing: sharingHooks(session),
    bench: benchHooks(session),
    circuits: circuitHooks(session),
    money: moneyHooks(session),
    sharingJunk: sharingJunkHooks(session),
    ledgerFlood: ledgerFloodHooks(session),
    sharingDebt: sharingDebtHooks(session),
    downloads: downloadHooks(session),
    exits: exitHooks(session),
    reputation: reputationHooks(session),
    wallet: walletHooks(session),
    market: marketHooks(session),
    mining: miningHooks(session),
    discovery: discoveryHooks(session),
    hidden: hiddenHooks(session),
    relayTables: relayTableHooks(session),
    storage: storageHooks(session),
  };
  (globalThis as unknown as { __trustmesh: TestHooks }).__trustmesh = hooks;
}
