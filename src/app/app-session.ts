/**
 * The composition root of a tab: takes the profile lock, loads the identity,
 * starts the peer, and lets the UI follow along. Knows nothing of the UI.
 */
import { IdentityStore } from '../identity/identity-store.ts';
import { decodeBackup, encodeIdentityFile, identityFileName, type Identity } from '../identity/identity.ts';
import { parseRelayAddress, resolveNetConfig, type NetConfig } from '../net/net-config.ts';
import { PeerService } from '../net/peer-service.ts';
import { restoreLedgerRecords, startLedger, type LedgerRuntime } from './ledger-runtime.ts';
import { SharingService } from '../sharing/sharing-service.ts';
import { CircuitService } from '../circuits/circuit-service.ts';
import { HiddenSwarms } from '../circuits/hidden-swarms.ts';
import { ExitService } from '../exits/exit-service.ts';
import type { ReputationService } from '../reputation/reputation-service.ts';
import { judgingOf, startReputation } from './reputation-runtime.ts';
import { featuresOf, unsupportedReason } from './browser-support.ts';
import type { FaultSeams } from './fault-seams.ts';
import { acquirePeerLockWhenFree, stealPeerLock, tryAcquirePeerLock, type HeldLock } from '../session/tab-lock.ts';

export type AppPhase =
  | { phase: 'starting' }
  | { phase: 'active-elsewhere' }
  | { phase: 'taken-over' }
  | { phase: 'running'; identity: Identity; service: PeerService; ledger: LedgerRuntime; sharing: SharingService; circuits: CircuitService; hidden: HiddenSwarms; exits: ExitService; reputation: ReputationService | undefined; config: NetConfig; identityCreated: boolean }
  | { phase: 'failed'; error: string };

/** Where the relay setting is kept; it is not secret and must be readable before IndexedDB opens. */
const RELAY_SETTING_KEY = 'trustmesh.relays';

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export class AppSession {
  private state: AppPhase = { phase: 'starting' };
  private readonly listeners = new Set<(s: AppPhase) => void>();
  private lock: HeldLock | null = null;
  private waitForLock: AbortController | null = null;

  /** `seams`: only test builds pass them (hostile behaviour injected by test code). */
  constructor(readonly seams?: FaultSeams) {}

  get current(): AppPhase {
    return this.state;
  }

  subscribe(listener: (s: AppPhase) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  private set(next: AppPhase): void {
    this.state = next;
    for (const l of this.listeners) l(next);
  }

  async start(): Promise<void> {
    // A browser that lacks what nothing can stand in for is told so plainly, before anything half-starts.
    const unsupported = unsupportedReason(featuresOf(globalThis as unknown as Record<string, unknown>));
    if (unsupported !== undefined) return this.set({ phase: 'failed', error: unsupported });
    try {
      const lock = await tryAcquirePeerLock();
      if (lock === null) {
        this.set({ phase: 'active-elsewhere' });
        this.waitUntilFree();
        return;
      }
      await this.run(lock);
    } catch (err) {
      this.set({ phase: 'failed', error: (err as Error).message });
    }
  }

  /** When the other tab closes, this one starts by itself. */
  private waitUntilFree(): void {
    this.waitForLock = new AbortController();
    acquirePeerLockWhenFree(this.waitForLock.signal).then(
      (lock) => this.run(lock),
      () => undefined, // aborted because the user took over instead
    );
  }

  async takeOver(): Promise<void> {
    this.waitForLock?.abort();
    this.waitForLock = null;
    this.set({ phase: 'starting' });
    try {
      await this.run(await stealPeerLock());
    } catch (err) {
      this.set({ phase: 'failed', error: (err as Error).message });
    }
  }

  private async run(lock: HeldLock): Promise<void> {
    this.lock = lock;
    const store = await IdentityStore.open();
    const { identity, created } = await store.loadOrCreate();
    store.close();
    const config = this.netConfig();
    const service = await PeerService.start(identity, config, { now: Date.now, random: Math.random });
    const ledger = await startLedger(identity, service.node, this.seams?.ledger);
    const reputation = startReputation(ledger);
    const judging = judgingOf(reputation);
    const sharing = await SharingService.start({ ledger: ledger.service, registry: ledger.registry, signer: ledger.signer, trackers: config.trackers, iceServers: config.iceServers, random: Math.random, judge: judging.judge, seams: this.seams?.sharing });
    const circuits = await CircuitService.start(service.node, identity, ledger.service, this.seams?.circuits, judging);
    const hidden = new HiddenSwarms(service.node, circuits, sharing);
    await hidden.start();
    hidden.resume();
    const exits = new ExitService({ circuits, sharing, ledger: ledger.service, signer: ledger.signer, trackers: config.trackers, iceServers: config.iceServers, seams: this.seams?.exits });
    this.set({ phase: 'running', identity, service, ledger, sharing, circuits, hidden, exits, reputation, config, identityCreated: created });
    void lock.lost.then(async () => {
      exits.stop();
      hidden.stop();
      circuits.stop();
      sharing.stop();
      reputation?.stop();
      ledger.stop();
      await service.stop();
      this.lock = null;
      this.set({ phase: 'taken-over' });
    });
  }

  netConfig(): NetConfig {
    return resolveNetConfig({
      location: { protocol: location.protocol, hostname: location.hostname },
      search: location.search,
      savedRelays: localStorage.getItem(RELAY_SETTING_KEY) ?? undefined,
      buildRelays: import.meta.env.VITE_TRUSTMESH_RELAYS as string | undefined,
      buildTrackers: import.meta.env.VITE_TRUSTMESH_TRACKERS as string | undefined,
      buildIceServers: import.meta.env.VITE_TRUSTMESH_ICE_SERVERS as string | undefined,
    });
  }

  savedRelays(): string {
    return localStorage.getItem(RELAY_SETTING_KEY) ?? '';
  }

  /** Saves relay addresses (empty = defaults). Invalid addresses are refused with the reason. */
  saveRelays(text: string): void {
    const entries = text.split(/[,\s]+/).filter((s) => s.length > 0);
    for (const entry of entries) {
      const parsed = parseRelayAddress(entry);
      if (!parsed.ok) throw new SettingsError(parsed.error);
    }
    if (entries.length === 0) localStorage.removeItem(RELAY_SETTING_KEY);
    else localStorage.setItem(RELAY_SETTING_KEY, entries.join(','));
  }

  /** The backup file: the key and the own chain, so a restore continues the chain rather than forking it. */
  async exportIdentity(): Promise<{ fileName: string; text: string }> {
    if (this.state.phase !== 'running') throw new Error('The peer is not running in this tab.');
    const records = await this.state.ledger.service.backupRecords();
    return { fileName: identityFileName(this.state.identity), text: encodeIdentityFile(this.state.identity, records) };
  }

  /** Validates a backup and makes it this profile's identity, with its chain. The caller reloads the page. */
  async importIdentity(bytes: Uint8Array): Promise<Identity> {
    const { identity, records } = decodeBackup(bytes);
    if (this.state.phase === 'running') {
      this.state.exits.stop();
      this.state.hidden.stop();
      this.state.circuits.stop();
      this.state.sharing.stop();
      this.state.reputation?.stop();
      this.state.ledger.stop();
      await this.state.service.stop();
    }
    // The chain first: an identity without its chain would sign its next block at a used position.
    await restoreLedgerRecords(identity, records);
    const store = await IdentityStore.open();
    // Flagged: the next start asks peers for the chain head before signing (the backup may be behind).
    await store.save(identity, { restored: true });
    store.close();
    return identity;
  }

  async stop(): Promise<void> {
    if (this.state.phase === 'running') {
      this.state.exits.stop();
      this.state.hidden.stop();
      this.state.circuits.stop();
      this.state.sharing.stop();
      this.state.reputation?.stop();
      this.state.ledger.stop();
      await this.state.service.stop();
    }
    this.lock?.release();
  }
}
