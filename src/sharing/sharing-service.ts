/**
 * File sharing in the tab: a WebTorrent client whose every connection to a
 * Trustmesh peer carries the payment extension, whose choking follows the
 * free-riding policy, and whose torrents survive reloads. Browser glue.
 */
import { breakGlare } from './glare-guard.ts';
import WebTorrent, { type Torrent, type TorrentOptions, type Wire } from 'webtorrent';
import { bytesEqual, toHex } from '../codec/bytes.ts';
import type { MessageSigner } from '../crypto/signers.ts';
import type { PeerRef } from '../ledger/ledger-transport.ts';
import type { LedgerService } from '../ledger/ledger-service.ts';
import { BANDWIDTH, bandwidthType } from '../ledger/transactions/bandwidth.ts';
import type { TransactionRegistry } from '../ledger/transactions/registry.ts';
import { ChokeController, type BalanceJudge } from './choke-controller.ts';
import { PIECE_STORE_PROBE_MS, PROPOSE_EVERY_BYTES, type PolicyConfig } from './constants.ts';
import { pieceChunkStore } from './piece-chunk-store.ts';
import { PieceStoreClient } from '../workers/piece-store-client.ts';
import { payExtension } from './pay-extension.ts';
import { PeerLink, WIRE_PEER_PREFIX, type LinkContext } from './peer-link.ts';
import { CIRCUIT_ADDRESS, type CircuitConnection } from '../circuits/circuit-connection.ts';
import { anonymousMagnet, magnetOfTorrentFile } from './magnet.ts';
import { circuitRate, CircuitWireAccount, CIRCUIT_RATE_FIELD, paidCircuitRate } from './circuit-wire-account.ts';
import { DownloadAccount } from './accounting.ts';
import { DownloadGuard } from './download-guard.ts';
import { DebtKeeper } from './debt-store.ts';
import type { SharingSeams } from './seams.ts';
import { loadSettings, saveSettings, toPolicy, type PolicySettings } from './settings.ts';
import { addSettlement, TorrentRegistry, type TorrentRecord } from './torrent-registry.ts';
import { catchUp } from './catch-up.ts';
import { directSource, hiddenSource } from './download-source.ts';

/** Views refresh at most this often while transfers run. */
const VIEW_REFRESH_MS = 1_000;
const FAILED_PIECE = /Piece (\d+) failed verification/;
/** Payments over circuits come per block; their totals are stored this often. */
const CIRCUIT_SETTLEMENT_SAVE_MS = 1_000;

export interface TorrentView {
  infoHash: string;
  name: string;
  length: number;
  progress: number;
  downloaded: number;
  uploaded: number;
  downloadSpeed: number;
  uploadSpeed: number;
  peers: number;
  /** Peers that speak the payment extension and proved their key. */
  payingPeers: number;
  timeRemaining: number;
  state: 'loading' | 'downloading' | 'seeding' | 'error';
  error?: string | undefined;
  magnetURI: string;
  files: { name: string; length: number; streamable: boolean }[];
  earned: bigint;
  paid: bigint;
  /** Shared or fetched only over circuits (never announced to trackers). */
  hidden: boolean;
  /** Interested peers we keep choked by policy (refused). */
  refusedPeers: number;
  /** Peers that keep us choked, and why (our balance, their threshold). */
  refusals: { count: number; balance: bigint; threshold: bigint; reason: string } | undefined;
}

interface Entry {
  torrent: Torrent;
  record: TorrentRecord;
  links: Map<Wire, PeerLink>;
  /** Wires over circuits (hidden swarms), paid through the circuits. */
  anonymous: Map<Wire, CircuitWireAccount>;
  choke: ChokeController | undefined;
  /** Credits suppliers only for requested, proven blocks; drops junk senders. */
  guard: DownloadGuard;
  error?: string;
}

export class SharingError extends Error {
  override name = 'SharingError';
}

export interface SharingOptions {
  ledger: LedgerService;
  registry: TransactionRegistry;
  signer: MessageSigner;
  trackers: readonly string[];
  iceServers?: readonly string[] | undefined;
  random: () => number;
  /**
   * How the threshold and slot ranking count a peer's verified balance: the
   * app passes reputation's judge (credits count up to the peer's trusted
   * standing); raw balances when absent.
   */
  judge?: BalanceJudge | undefined;
  /** Test builds only: where hostile behaviour is injected (see seams.ts). */
  seams?: SharingSeams | undefined;
}

export class SharingService {
  private readonly client: WebTorrent;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  private policy: PolicyConfig = toPolicy(loadSettings());
  private settingsNow: PolicySettings = loadSettings();
  private refreshTimer: ReturnType<typeof setInterval>;
  private unsubscribeLedger: () => void;
  /** Payments go over a direct libp2p connection to the peer when there is one (false: only over the wire; tests). */
  preferDirect = true;

  /** Wires closed because the peer named a second key (diagnostics). */
  keySwitches = 0;

  private constructor(
    private readonly o: SharingOptions,
    private readonly store: TorrentRegistry,
    /** What each key owes us and we owe it, kept across connections and reloads. */
    readonly debts: DebtKeeper,
    /** Where torrents keep their pieces: the piece store worker's, or WebTorrent's own where it cannot run. */
    private readonly storage: Pick<TorrentOptions, 'store'>,
  ) {
    this.client = new WebTorrent({
      dht: false,
      lsd: false,
      utp: false,
      natUpnp: false,
      natPmp: false,
      tracker: o.iceServers === undefined ? {} : { rtcConfig: { iceServers: o.iceServers.map((urls) => ({ urls })) } },
    });
    this.client.on('error', (err: Error) => this.onClientError(err));
    o.ledger.setAcceptancePolicy(BANDWIDTH, ({ proposal, from }) => {
      const up = bandwidthType.decode(proposal.transaction).up;
      const refusal = o.seams?.refuseAgreement?.(up);
      if (refusal !== undefined) return refusal;
      const link = this.linkFor(from, up);
      if (link !== undefined) return link.accept(up);
      // A swarm peer we pay as an exit relay, on a downloader's behalf.
      const asExit = this.exitPayments?.(from, up);
      if (asExit !== undefined) return asExit;
      // No connection to it now: what we owe its key from earlier connections may still be paid.
      if (this.debts.book.account(toHex(from.publicKey)).spendOwed(up)) return true;
      return 'bandwidth is paid for to a peer we exchange pieces with, and you are not one';
    });
    this.unsubscribeLedger = o.ledger.subscribe((e) => {
      // Our balance changed: tell every connected Trustmesh peer.
      if (e.type === 'own-chain') for (const entry of this.entries.values()) for (const l of entry.links.values()) l.sendHead();
    });
    this.refreshTimer = setInterval(() => this.changed(), VIEW_REFRESH_MS);
  }

  static async start(o: SharingOptions): Promise<SharingService> {
    const pieces = piecesStorage();
    const service = new SharingService(o, await TorrentRegistry.open(), await DebtKeeper.open(), await pieces);
    // Resume: re-add every kept torrent; WebTorrent re-checks the stored pieces and seeds what it has.
    for (const record of await service.store.all()) {
      const { torrentId, announce } = record.hidden === true ? hiddenSource(record) : directSource(record, o.trackers);
      const t = service.client.add(torrentId, { announce, ...service.storage });
      service.attach(t, record);
      if (record.torrentFile === undefined) t.once('metadata', () => void service.register(t, record.hidden));
    }
    return service;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  get settings(): PolicySettings {
    return this.settingsNow;
  }

  saveSettings(s: PolicySettings): void {
    saveSettings(s);
    this.settingsNow = s;
    this.policy = toPolicy(s);
    for (const e of this.entries.values()) e.choke?.rechoke();
  }

  /** Shares files: hashes them, keeps them in the browser's storage, announces them. Resolves with the infohash. */
  seed(files: File[], opts: { hidden?: boolean } = {}): Promise<string> {
    if (files.length === 0) return Promise.reject(new SharingError('Choose at least one file to share.'));
    return new Promise((resolve, reject) => {
      const t = this.client.seed(files, { announce: opts.hidden === true ? [] : [...this.o.trackers], ...this.storage }, (torrent) => {
        void this.register(torrent, opts.hidden).then(() => resolve(torrent.infoHash), reject);
      });
      t.once('error', (err: Error) => reject(new SharingError(describeError(err))));
      this.attach(t);
    });
  }

  /** Downloads a magnet link or a .torrent file. Resolves with the infohash once the metadata is known. */
  add(input: string | Uint8Array): Promise<string> {
    return new Promise((resolve, reject) => {
      let t: Torrent;
      try {
        t = this.client.add(input, { announce: [...this.o.trackers], ...this.storage });
      } catch (err) {
        return reject(new SharingError(`This is not a magnet link or .torrent file WebTorrent can open: ${(err as Error).message}`));
      }
      t.once('error', (err: Error) => reject(new SharingError(describeError(err))));
      t.once('metadata', () => void this.register(t).then(() => resolve(t.infoHash), reject));
      this.attach(t);
    });
  }

  /**
   * Downloads a magnet link or .torrent file from hidden seeders only: only
   * its infohash and name are kept, so no tracker, web seed or source hears of
   * it; peers come over circuits through addConnection. Resolves with the
   * infohash at once; the metadata follows from the seeder. The entry is kept
   * (with `input` as given, for "Download directly") from then on, whether or
   * not a seeder is ever found.
   */
  addHidden(input: string | Uint8Array, opts: { hops?: number } = {}): Promise<string> {
    let url: string;
    try {
      url = typeof input === 'string' ? anonymousMagnet(input) : magnetOfTorrentFile(input);
    } catch (err) {
      return Promise.reject(new SharingError((err as Error).message));
    }
    return new Promise((resolve, reject) => {
      let t: Torrent;
      try {
        t = this.client.add(url, { announce: [], ...this.storage });
      } catch (err) {
        return reject(new SharingError(`This is not a magnet link WebTorrent can open: ${(err as Error).message}`));
      }
      t.once('error', (err: Error) => reject(new SharingError(describeError(err))));
      const record: TorrentRecord = { infoHash: '', name: '', addedAt: Date.now(), earned: '0', paid: '0', hidden: true, original: input, ...(opts.hops === undefined ? {} : { hops: opts.hops }) };
      this.attach(t, record);
      // Kept before anything is fetched, so a download no seeder answers survives a reload; the metadata joins it later.
      const known = (): void => {
        record.infoHash = t.infoHash;
        record.name = t.name ?? '';
        const saved = this.store.get(t.infoHash).then((kept) => (kept === undefined ? this.store.put(record) : undefined));
        t.once('metadata', () => void saved.then(() => this.register(t, true)));
        saved.then(() => resolve(t.infoHash), reject);
      };
      if (t.infoHash) known();
      else t.once('infoHash', known);
    });
  }

  /**
   * Turns a hidden download into an ordinary one of the same torrent, announced
   * to trackers: the seeders then see this browser's address. What is stored is
   * kept (the torrent is closed, not deleted, and WebTorrent verifies the
   * stored pieces when it is added again), so only the rest is fetched.
   */
  async downloadDirectly(infoHash: string): Promise<void> {
    const e = this.entries.get(infoHash);
    if (e === undefined) throw new SharingError('This download is no longer in your list; paste its magnet link again to download it.');
    if (e.record.hidden !== true) throw new SharingError('This torrent already downloads directly from public seeders.');
    if (e.torrent.done) throw new SharingError('This download is already complete; there is nothing left to fetch.');
    const { hidden: _hidden, hops: _hops, ...kept } = e.record;
    // The record gains the .torrent once the metadata came (WebTorrent's `torrentFile` of a bare magnet is a shell without pieces).
    const record: TorrentRecord = { ...kept, name: e.torrent.name ?? e.record.name };
    const { torrentId, announce } = directSource(record, this.o.trackers);
    // Stored first: a reload from here on resumes it as a direct download.
    await this.store.put(record);
    e.choke?.stop();
    await new Promise<void>((r) => e.torrent.destroy({ destroyStore: false }, () => r()));
    let t: Torrent;
    try {
      t = this.client.add(torrentId, { announce, ...this.storage });
    } catch (err) {
      this.entries.delete(infoHash);
      this.changed();
      throw new SharingError(`The download could not be restarted directly (${(err as Error).message}); reload the page to resume it.`);
    }
    // Listed under its infohash at once, so the row never leaves the Files page.
    this.entries.set(infoHash, this.attach(t, record));
    if (record.torrentFile === undefined) t.once('metadata', () => void this.register(t));
    this.changed();
  }

  /** Hidden torrents we hold complete: after a reload they must be hidden (published) again. */
  hiddenSeeds(): string[] {
    return this.views()
      .filter((v) => v.hidden && v.state === 'seeding')
      .map((v) => v.infoHash);
  }

  /** Hidden downloads not yet complete, with their relay hops: they keep reaching for a hidden seeder. */
  hiddenDownloads(): { infoHash: string; hops: number | undefined; original: string | Uint8Array | undefined }[] {
    return [...this.entries.values()].filter((e) => e.record.hidden === true && !e.torrent.done && e.error === undefined).map((e) => ({ infoHash: e.record.infoHash, hops: e.record.hops, original: e.record.original }));
  }

  wantsPeers(infoHash: string): boolean {
    const t = this.entries.get(infoHash)?.torrent;
    return t !== undefined && !t.done;
  }

  /** Answers BANDWIDTH proposals of swarm peers we pay as an exit relay (src/exits): true, why not, or undefined when not one of them. */
  private exitPayments: ((from: PeerRef, up: bigint) => true | string | undefined) | undefined;

  setExitPayments(accept: ((from: PeerRef, up: bigint) => true | string | undefined) | undefined): void {
    this.exitPayments = accept;
  }

  /** Connections over circuits by the address WebTorrent gives their wires. */
  private readonly circuitConnections = new Map<string, CircuitConnection>();

  /** A peer connection that came over a circuit (a hidden swarm): it joins the torrent like any other peer. */
  addConnection(infoHash: string, connection: CircuitConnection): void {
    const e = this.entries.get(infoHash);
    if (e === undefined) {
      connection.destroy();
      return;
    }
    const addr = `${connection.remoteAddress}:${connection.remotePort}`;
    this.circuitConnections.set(addr, connection);
    connection.once('close', () => this.circuitConnections.delete(addr));
    e.torrent.addPeer(connection as never);
  }

  /**
   * Payments on a wire over circuits: we ask our rate in the extended
   * handshake and pay, through the circuits, for the verified bytes of blocks
   * we requested (DownloadGuard) at min(its ask, our own); what it pays us is
   * credited as it arrives, and the choke policy refuses it once its unpaid
   * bytes pass the window.
   */
  private payOverCircuit(wire: Wire, connection: CircuitConnection, entry: Entry): void {
    const account = new CircuitWireAccount(circuitRate(connection.pathLength));
    (wire.extendedHandshake as Record<string, unknown>)[CIRCUIT_RATE_FIELD] = account.rate;
    entry.anonymous.set(wire, account);
    wire.once('close', () => entry.anonymous.delete(wire));
    entry.choke?.attach(wire);
    // Totals are stored once a second, not per 16 KiB block.
    const unsaved = { earned: 0n, paid: 0n };
    let saveTimer: ReturnType<typeof setTimeout> | undefined;
    const save = (): void => {
      saveTimer = undefined;
      for (const earned of [true, false]) {
        const tokens = earned ? unsaved.earned : unsaved.paid;
        if (tokens > 0n) void this.store.addSettlement(entry.torrent.infoHash, tokens, earned);
      }
      unsaved.earned = unsaved.paid = 0n;
    };
    wire.once('close', save);
    const settle = (tokens: bigint, earned: boolean): void => {
      addSettlement(entry.record, tokens, earned);
      unsaved[earned ? 'earned' : 'paid'] += tokens;
      saveTimer ??= setTimeout(save, CIRCUIT_SETTLEMENT_SAVE_MS);
    };
    wire.on('upload', (bytes: number) => account.uploaded(bytes));
    wire.on('extended', (ext: string) => {
      if (ext === 'handshake') account.agreeRate(wire.peerExtendedHandshake);
    });
    entry.guard.watch({
      wire,
      account: new DownloadAccount(),
      ...(connection.exitKey === undefined ? {} : { banKey: `${wire.peerId}@${toHex(connection.exitKey)}` }),
      dropped: (reason) => connection.misbehaved?.(reason),
      credited: (bytes) => {
        const tokens = BigInt(bytes) * BigInt(paidCircuitRate(wire.peerExtendedHandshake, connection.pathLength));
        if (this.o.seams?.beforeCircuitPay?.(tokens) === false) return;
        connection.payThrough(tokens);
        connection.verified?.(bytes);
        settle(tokens, false);
      },
    });
    connection.onPaid((tokens) => {
      account.paid(tokens);
      settle(tokens, true);
      entry.choke?.soon();
    });
  }

  async remove(infoHash: string): Promise<void> {
    const e = this.entries.get(infoHash);
    e?.choke?.stop();
    this.entries.delete(infoHash);
    await this.store.remove(infoHash);
    if (e !== undefined) await new Promise<void>((r) => e.torrent.destroy({ destroyStore: true }, () => r()));
    this.changed();
  }

  private async register(torrent: Torrent, hidden?: boolean): Promise<void> {
    const entry = this.entries.get(torrent.infoHash);
    const kept = await this.store.get(torrent.infoHash);
    // A record kept before the metadata (a hidden download) gains it now.
    const existing = kept === undefined || kept.torrentFile !== undefined ? kept : { ...kept, name: torrent.name, torrentFile: torrent.torrentFile };
    const record: TorrentRecord = existing ?? { infoHash: torrent.infoHash, name: torrent.name, torrentFile: torrent.torrentFile, addedAt: Date.now(), earned: '0', paid: '0', ...(hidden === true ? { hidden } : {}) };
    await this.store.put(record);
    if (entry !== undefined) entry.record = record;
    this.changed();
  }

  /** Hooks payments and policy into a torrent's connections. */
  private attach(torrent: Torrent, record?: TorrentRecord): Entry {
    const entry: Entry = { torrent, record: record ?? { infoHash: '', name: '', addedAt: Date.now(), earned: '0', paid: '0' }, links: new Map(), anonymous: new Map(), choke: undefined, guard: new DownloadGuard(torrent) };
    const ready = (): void => {
      if (entry.choke !== undefined) return;
      this.entries.set(torrent.infoHash, entry);
      entry.choke = new ChokeController(torrent, entry.links, () => this.policy, (k) => this.o.ledger.isFraudster(k), this.o.random, entry.anonymous, this.o.judge);
      for (const wire of [...entry.links.keys(), ...entry.anonymous.keys()]) entry.choke.attach(wire);
    };
    torrent.once('infoHash', ready);
    if (torrent.infoHash) ready();
    breakGlare(torrent, () => this.client.peerId);

    const ctx = (): LinkContext => ({
      ledger: this.o.ledger,
      signer: this.o.signer,
      registry: this.o.registry,
      infoHash: torrent.infoHash,
      myPeerId: this.client.peerId,
      changed: () => {
        // A new balance, key or payment may change who gets served.
        entry.choke?.soon();
        this.changed();
      },
      settled: (_link, bytes, earned) => {
        addSettlement(entry.record, bytes, earned);
        void this.store.addSettlement(torrent.infoHash, bytes, earned);
      },
      preferDirect: () => this.preferDirect,
      verify: (link) => this.verifyPeer(link, entry),
      debts: this.debts.book,
      refuses: (link) => entry.choke?.refuses(link.wire) ?? link.upload.overWindow(),
      proposalStep: (link) => entry.choke?.proposalStep(link.wire) ?? BigInt(PROPOSE_EVERY_BYTES),
      keySwitched: () => {
        this.keySwitches++;
      },
    });
    const extension = payExtension((wire) => {
      const link = new PeerLink(wire, ctx());
      entry.links.set(wire, link);
      wire.once('close', () => entry.links.delete(wire));
      entry.choke?.attach(wire);
      entry.guard.watch({ wire, account: link.download, credited: () => link.sendAck(torrent.done) });
      return link;
    });
    torrent.on('wire', (wire: Wire, addr?: string) => {
      this.o.seams?.onWire?.(wire, torrent.infoHash);
      // A wire over a circuit stays anonymous: no keys and no block between its two ends; it pays through the circuits.
      if (addr?.startsWith(`${CIRCUIT_ADDRESS}:`)) {
        const connection = this.circuitConnections.get(addr);
        if (connection === undefined) wire.destroy();
        else this.payOverCircuit(wire, connection, entry);
        return;
      }
      wire.use(extension);
    });
    torrent.on('verified', (index: number) => entry.guard.onVerified(index));
    torrent.on('warning', (err: Error) => {
      const m = FAILED_PIECE.exec(err.message);
      if (m !== null) entry.guard.onFailed(Number(m[1]));
    });
    torrent.on('done', () => {
      for (const l of entry.links.values()) l.sendAck(true);
      this.changed();
    });
    torrent.on('error', (err: Error) => {
      entry.error = describeError(err);
      this.changed();
    });
    return entry;
  }

  private readonly verifying = new Set<PeerLink>();

  /**
   * Sets a peer's verified balance from its signed chain: blocks we lack (up to
   * the head it showed) are fetched from the peer over the BitTorrent wire,
   * validated like any crawl, then tallied. One check per link at a time; a
   * newer head while checking triggers another.
   */
  private verifyPeer(link: PeerLink, entry: Entry): void {
    const peer = link.peerRef;
    if (peer === undefined || this.verifying.has(link)) return;
    this.verifying.add(link);
    const head = link.head;
    void (async () => {
      try {
        const key = peer.publicKey;
        // Payments to us agreed after this read are not in the balance; the policy subtracts them.
        const debt = this.debts.book.account(toHex(key));
        let paid = debt.paidTotal;
        let v = await this.o.ledger.verifiedBalance(key);
        const step = catchUp(head, v.through, this.o.ledger.publicKey);
        if (step !== 'current') {
          // The head of a payment with us comes before the pair's answer: taken as it came, no crawl behind piece data.
          if (step === 'take-head') await this.o.ledger.ingestBlocks([head!]);
          else {
            // Over a direct connection when there is one, as payments go: on the wire a crawl queues behind pieces.
            const direct = this.preferDirect ? this.o.ledger.directPeer(key) : undefined;
            await this.o.ledger.crawlChain(direct ?? peer, key, undefined, direct === undefined ? link.channel : undefined, v.through + 1);
          }
          paid = debt.paidTotal;
          v = await this.o.ledger.verifiedBalance(key);
        }
        link.verified = v;
        link.paidAtVerify = paid;
        entry.choke?.soon();
        this.changed();
      } catch {
        // The peer did not answer; it stays unverified (a newcomer) until its next head.
      } finally {
        this.verifying.delete(link);
        // Only a newer head checks again: one that failed to validate or to be fetched is not retried in a loop.
        if ((link.head?.sequenceNumber ?? 0) > (head?.sequenceNumber ?? 0)) this.verifyPeer(link, entry);
      }
    })();
  }

  /** Our own balance, verified like anyone else's. */
  /** The BitTorrent peer id swarms see from our own downloads and seeds. */
  get swarmPeerId(): string {
    return this.client.peerId;
  }

  ownBalance(): ReturnType<LedgerService['verifiedBalance']> {
    return this.o.ledger.verifiedBalance(this.o.ledger.publicKey);
  }

  /**
   * The connection a payment request is for: the BitTorrent wire it came over,
   * or, for a request over libp2p (authenticated as the same key), the wire to
   * that key with enough unpaid verified bytes to cover it.
   */
  private linkFor(from: PeerRef, up: bigint): PeerLink | undefined {
    const links = [...this.entries.values()].flatMap((e) => [...e.links.values()]);
    if (from.id.startsWith(WIRE_PEER_PREFIX)) return links.find((l) => l.peerRef?.id === from.id);
    const same = links.filter((l) => l.identified && l.remoteKey !== undefined && bytesEqual(l.remoteKey, from.publicKey));
    return same.find((l) => l.download.canAgree(up)) ?? same[0];
  }

  private onClientError(err: Error): void {
    // A duplicate add and similar per-torrent problems arrive here; they are reported on the torrent.
    for (const e of this.entries.values()) if (err.message.includes(e.torrent.infoHash)) e.error = describeError(err);
    this.changed();
  }

  views(): TorrentView[] {
    return [...this.entries.values()].map(({ torrent: t, record, links, error, choke }) => {
      const refusing = [...links.values()].filter((l) => l.refusedUs !== undefined);
      const worst = refusing[0]?.refusedUs;
      return {
        infoHash: t.infoHash || record.infoHash,
        name: t.name ?? record.name,
        length: t.length ?? 0,
        progress: t.progress ?? 0,
        downloaded: t.downloaded ?? 0,
        uploaded: t.uploaded ?? 0,
        downloadSpeed: t.downloadSpeed ?? 0,
        uploadSpeed: t.uploadSpeed ?? 0,
        peers: t.numPeers ?? 0,
        payingPeers: [...links.values()].filter((l) => l.identified).length,
        refusedPeers: (t.wires ?? []).filter((w) => choke?.standingOf(w)?.kind === 'refused').length,
        timeRemaining: t.timeRemaining ?? Infinity,
        state: error !== undefined ? 'error' : !t.ready ? 'loading' : t.done ? 'seeding' : 'downloading',
        error,
        magnetURI: t.magnetURI ?? '',
        files: (t.files ?? []).map((f) => ({ name: f.name, length: f.length, streamable: /\.(mp4|webm|m4v|mkv|mp3|ogg|oga|m4a|wav|flac)$/i.test(f.name) })),
        earned: BigInt(record.earned),
        paid: BigInt(record.paid),
        hidden: record.hidden === true,
        refusals: worst === undefined ? undefined : { count: refusing.length, balance: worst.balance, threshold: worst.threshold, reason: worst.reason },
      };
    });
  }

  /**
   * Who this tab sees in a torrent's swarm, from its wires (for discovery's
   * announcements): whether each peer has every piece, and whether it wants
   * pieces from us or got some.
   */
  swarmPeers(infoHash: string): { peerId: string; seeder: boolean; downloader: boolean }[] {
    return (this.entries.get(infoHash)?.torrent.wires ?? []).map((w) => ({ peerId: w.peerId, seeder: w.isSeeder === true, downloader: w.peerInterested || w.uploaded > 0 }));
  }

  /** Asks the torrent's trackers for peers now, with fresh WebRTC offers, rather than at the next interval. */
  announceNow(infoHash: string): void {
    const discovery = (this.entries.get(infoHash)?.torrent as unknown as { discovery?: { tracker?: { update?: () => void } } } | undefined)?.discovery;
    discovery?.tracker?.update?.();
  }

  /** Caps this tab's upload rate, all torrents together (undefined: no cap). WebTorrent throttles per client, not per torrent. */
  setUploadLimit(bytesPerSecond: number | undefined): void {
    this.client.throttleUpload(bytesPerSecond === undefined ? -1 : bytesPerSecond);
  }

  /** Per-connection books of a torrent (diagnostics): what each peer owes us and we owe it; then the suppliers dropped for junk. */
  accounts(infoHash: string): Record<string, unknown>[] {
    const e = this.entries.get(infoHash);
    if (e === undefined) return [];
    const downloadBooks = (d: DownloadAccount) => ({ verified: d.verified.toString(), agreed: d.agreed.toString(), strikes: d.strikes, unrequested: d.unrequested.toString() });
    const dropped = e.guard.dropped.map((x) => ({ peer: x.peer, dropped: x.reason, download: downloadBooks(x.account) }));
    const live = [...e.links.values()].map((l) => ({
      peer: l.wire.peerId,
      key: l.remoteKey === undefined ? undefined : toHex(l.remoteKey),
      extension: l.hasExtension,
      identified: l.identified,
      interested: l.wire.peerInterested,
      choking: l.wire.amChoking,
      /** How our policy ranks it now: member, newcomer or refused (undefined before its first rechoke). */
      standing: e.choke?.standingOf(l.wire)?.kind,
      paymentRoute: l.lastPaymentRoute,
      upload: { sent: l.upload.sent.toString(), acked: l.upload.acked.toString(), proposed: l.upload.proposed.toString(), agreed: l.upload.agreed.toString(), pending: l.upload.pending?.toString() },
      download: downloadBooks(l.download),
    }));
    // Wires over circuits: no key, paid through the circuits (what it owes us is what the policy bounds).
    const anonymous = [...e.anonymous].map(([wire, account]) => ({
      peer: wire.peerId,
      anonymous: true,
      interested: wire.peerInterested,
      choking: wire.amChoking,
      standing: e.choke?.standingOf(wire)?.kind,
      upload: { unpaid: account.unpaidBytes.toString(), received: account.received.toString() },
    }));
    return [...live, ...anonymous, ...dropped];
  }

  /** The .torrent file of a torrent we hold (once its metadata is known). */
  torrentFile(infoHash: string): Uint8Array | undefined {
    return this.entries.get(infoHash)?.torrent.torrentFile;
  }

  async fileBlob(infoHash: string, index: number): Promise<Blob> {
    const f = this.entries.get(infoHash)?.torrent.files[index];
    if (f === undefined) throw new SharingError('That file is no longer shared here.');
    return f.blob();
  }

  /** A URL the page can play while the file downloads (served by our service worker). */
  async streamUrl(infoHash: string, index: number): Promise<string> {
    const f = this.entries.get(infoHash)?.torrent.files[index];
    if (f === undefined) throw new SharingError('That file is no longer shared here.');
    const registration = await navigator.serviceWorker?.ready;
    if (registration === undefined) throw new SharingError('Streaming needs the service worker; reload the page once and try again.');
    this.streamServer ??= this.client.createServer({ controller: registration });
    return f.streamURL;
  }

  private streamServer: unknown;

  stop(): void {
    clearInterval(this.refreshTimer);
    this.unsubscribeLedger();
    for (const e of this.entries.values()) e.choke?.stop();
    this.o.ledger.setAcceptancePolicy(BANDWIDTH, undefined);
    this.client.destroy();
    this.store.close();
    void this.debts.close();
  }
}

/**
 * The piece store worker as WebTorrent's store, when this browser's workers can
 * write files in place; otherwise (or if the worker cannot start) WebTorrent's
 * own browser store. Asked once per tab, beside the start's other reads.
 */
async function piecesStorage(): Promise<Pick<TorrentOptions, 'store'>> {
  const client = PieceStoreClient.inBrowser();
  if (client === undefined) return {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silent = new Promise<false>((r) => (timer = setTimeout(() => r(false), PIECE_STORE_PROBE_MS)));
  const supported = await Promise.race([client.supported(), silent]).catch(() => false);
  clearTimeout(timer);
  return supported ? { store: pieceChunkStore(client) } : {};
}

/** Storage and network errors in words a user can act on. */
export function describeError(err: Error): string {
  const text = `${err.name} ${err.message}`;
  if (/QuotaExceeded|quota/i.test(text)) {
    return 'The browser has no more storage for this site, so this torrent stopped. Other torrents are unaffected. Free up space (remove finished torrents) and add it again.';
  }
  if (/duplicate|already/i.test(text)) return 'This torrent is already in your list.';
  if (/Invalid torrent identifier|parse|magnet/i.test(text)) return `This is not a magnet link or .torrent file WebTorrent can open (${err.message}).`;
  return err.message;
}
