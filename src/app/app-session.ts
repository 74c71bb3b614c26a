/**
 * The composition root of a tab: takes the profile lock, loads the identity,
 * starts the peer, and lets the UI follow along. Knows nothing of the UI.
 */
import { IdentityStore } from '../identity/identity-store.ts';
import { decodeBackup, encodeIdentityFile, identityFileName, type Identity } from '../identity/identity.ts';
import { parseRelayAddress, resolveNetConfig, type NetConfig } from '../net/net-config.ts';
// Types only: the peer stack arrives by dynamic import (peer-runtime.ts), after the shell has rendered.
import type { PeerService } from '../net/peer-service.ts';
import type { LedgerRuntime } from './ledger-runtime.ts';
import type { SharingService } from '../sharing/sharing-service.ts';
import type { CircuitService } from '../circuits/circuit-service.ts';
import type { HiddenSwarms } from '../circuits/hidden-swarms.ts';
import type { ExitService } from '../exits/exit-service.ts';
import type { DiscoveryService } from '../discovery/discovery-service.ts';
import type { Miner } from '../mining/miner.ts';
import type { ReputationService } from '../reputation/reputation-service.ts';
import { featuresOf, unsupportedReason } from './browser-support.ts';
import type { FaultSeams } from './fault-seams.ts';
import type { MarketApi, MarketHandle } from '../exchange/market-api.ts';
import { startMarket } from './market-runtime.ts';
import { MARKET_ACTIVE_KEY } from '../exchange/lazy-market.ts';
// Dynamic only: the wallet's code (viem, the BIP-39 wordlist) loads when a backup needs it.
import { loadWallet, type WalletModule } from '../exchange/wallet/lazy.ts';
import { markStartup } from './startup-timeline.ts';
import { acquirePeerLockWhenFree, stealPeerLock, tryAcquirePeerLock, type HeldLock } from '../session/tab-lock.ts';

/** What a tab runs once it is on the network: the peer, its ledger and reputation. */
export interface NetworkParts {
  service: PeerService;
  ledger: LedgerRuntime;
  reputation: ReputationService | undefined;
}

/** What starts once the network settled (service-start.ts). */
export interface ServiceParts {
  sharing: SharingService;
  circuits: CircuitService;
  hidden: HiddenSwarms;
  exits: ExitService;
  discovery: DiscoveryService;
  mining: Miner;
}

/**
 * On the network, its first dial under way: the peer list, identity and ledger work; sharing, circuits,
 * discovery and mining start once the first direct peer is up or nobody is left to reach (service-start.ts).
 */
export interface ConnectingPhase extends NetworkParts {
  phase: 'connecting';
  identity: Identity;
  config: NetConfig;
  identityCreated: boolean;
}

export interface RunningPhase extends Omit<ConnectingPhase, 'phase'>, ServiceParts {
  phase: 'running';
}

export type AppPhase =
  | { phase: 'starting' }
  | { phase: 'active-elsewhere' }
  | { phase: 'taken-over' }
  | ConnectingPhase
  | RunningPhase
  | { phase: 'failed'; error: string };

/** Stops what starts once the network settled, latest first. */
function stopServices(s: ServiceParts): void {
  s.mining.stop();
  s.discovery.stop();
  s.exits.stop();
  s.hidden.stop();
  s.circuits.stop();
  s.sharing.stop();
}

/** Stops a tab's peer: its services if they started, then the network. */
async function stopPeer(p: ConnectingPhase | RunningPhase): Promise<void> {
  if (p.phase === 'running') stopServices(p);
  p.reputation?.stop();
  p.ledger.stop();
  await p.service.stop();
}

/** Where the relay setting is kept; it is not secret and must be readable before IndexedDB opens. */
const RELAY_SETTING_KEY = 'trustmesh.relays';

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/**
 * The peer stack's code: not in the app's first load, which stays small (issue #14), but asked for as soon as the
 * shell's script runs, so that it is fetched and compiled while the shell renders and the tab lock is taken
 * (started at the lock instead, the tab sat idle ~300 ms waiting for it on this machine).
 */
function loadPeerRuntime(): Promise<typeof import('./peer-runtime.ts')> {
  return import('./peer-runtime.ts').catch((err: unknown) => {
    throw new Error(`The app's peer code could not be loaded (${(err as Error).message}). Check your connection and reload the page.`);
  });
}

/**
 * The services' code (service-runtime.ts), asked for once the network settled. Loaded with the peer code, its
 * evaluation (WebTorrent's alone ~90 ms here) held the node's start back; fetched and compiled early through a
 * `modulepreload` link, the services started no sooner (measured). A failed load says what to do.
 */
function loadServiceRuntime(): Promise<typeof import('./service-runtime.ts')> {
  return import('./service-runtime.ts').catch((err: unknown) => {
    throw new Error(`The app's sharing code could not be loaded (${(err as Error).message}). Check your connection and reload the page.`);
  });
}

/** The wallet's code, for a backup or a restore; a failed load says what to do. */
function walletForBackup(): Promise<WalletModule> {
  return loadWallet().catch((err: unknown) => {
    throw new Error(`The Ether wallet's code could not be loaded (${(err as Error).message}); a backup saves and restores the wallet with it. Check your connection, reload the page and try again.`);
  });
}

export class AppSession {
  private state: AppPhase = { phase: 'starting' };
  private readonly listeners = new Set<(s: AppPhase) => void>();
  private lock: HeldLock | null = null;
  private waitForLock: AbortController | null = null;
  private marketStarted: Promise<MarketHandle> | undefined;
  /** The peer whose services may still start: cleared when it stops, so a start that finishes late stops again. */
  private live: PeerService | undefined;

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
    const runtime = loadPeerRuntime();
    runtime.catch(() => undefined); // awaited in run(); a tab that waits for the lock may never need it
    try {
      const lock = await tryAcquirePeerLock();
      if (lock === null) {
        this.set({ phase: 'active-elsewhere' });
        this.waitUntilFree();
        return;
      }
      await this.run(lock, runtime);
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

  /** The market of this tab, started on first use (its code and the wallet load then). */
  market(): Promise<MarketApi> {
    if (this.state.phase !== 'running') return Promise.reject(new Error('The peer is not running in this tab; reload the page.'));
    const started = (this.marketStarted ??= startMarket(this.state, this.seams?.market));
    started.catch(() => {
      if (this.marketStarted === started) this.marketStarted = undefined; // a failed start may be retried
    });
    return started;
  }

  private stopMarket(): void {
    void this.marketStarted?.then((m) => m.stop(), () => undefined);
    this.marketStarted = undefined;
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

  private async run(lock: HeldLock, runtime = loadPeerRuntime()): Promise<void> {
    this.lock = lock;
    markStartup('lock');
    // The peer code loads while the identity is read: neither waits for the other.
    runtime.catch(() => undefined); // awaited below; a failed identity read must not leave it unhandled
    const store = await IdentityStore.open();
    const { identity, created } = await store.loadOrCreate();
    store.close();
    markStartup('identity');
    const config = this.netConfig();
    const { startNetwork, networkSettled } = await runtime;
    markStartup('runtime-loaded');
    const network = await startNetwork(identity, config, this.seams);
    const connecting: ConnectingPhase = { phase: 'connecting', identity, config, identityCreated: created, ...network };
    this.live = network.service;
    this.set(connecting);
    void lock.lost.then(async () => {
      this.live = undefined;
      this.stopMarket();
      const current = this.state;
      if (current.phase === 'connecting' || current.phase === 'running') await stopPeer(current);
      this.lock = null;
      this.set({ phase: 'taken-over' });
    });
    await networkSettled(network.service);
    const stopped = (): boolean => this.live !== network.service; // taken over or closed meanwhile
    if (stopped()) return;
    let services: ServiceParts;
    try {
      services = await (await loadServiceRuntime()).startServices(identity, config, this.seams, network);
    } catch (err) {
      if (stopped()) return; // the peer stopped under the start (its pubsub, its node): not a failure to show
      throw err;
    }
    if (stopped()) return stopServices(services);
    markStartup('running');
    this.set({ ...connecting, ...services, phase: 'running' });
    // Open orders and running trades must keep being answered after a reload, Market page open or not.
    if (localStorage.getItem(MARKET_ACTIVE_KEY) !== null) void this.market().catch(() => undefined);
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

  /**
   * The backup file: the key and the own chain, so a restore continues the
   * chain rather than forking it, and the Ether wallet (made now if it does
   * not exist yet, so the backup covers any Ether paid to it later).
   */
  async exportIdentity(): Promise<{ fileName: string; text: string }> {
    if (this.state.phase !== 'running') throw new Error('The peer is not running in this tab.');
    const { identity } = this.state;
    const records = await this.state.ledger.service.backupRecords();
    // A backup silently without the wallet would look complete; refuse instead.
    const wallet = await (await walletForBackup()).exportBrowserWallet();
    return { fileName: identityFileName(identity), text: encodeIdentityFile(identity, records, { ...wallet }) };
  }

  /** Validates a backup and makes it this profile's identity, with its chain. The caller reloads the page. */
  async importIdentity(bytes: Uint8Array): Promise<Identity> {
    const { identity, records, wallet } = decodeBackup(bytes);
    // The whole backup is checked before anything is stopped or replaced.
    const walletModule = wallet === undefined ? undefined : await walletForBackup();
    walletModule?.checkWalletExport(wallet);
    if (this.state.phase === 'running' || this.state.phase === 'connecting') {
      this.live = undefined;
      this.stopMarket();
      await stopPeer(this.state);
    }
    // The chain first: an identity without its chain would sign its next block at a used position.
    const { restoreLedgerRecords } = await loadPeerRuntime();
    await restoreLedgerRecords(identity, records);
    const store = await IdentityStore.open();
    // Flagged: the next start asks peers for the chain head before signing (the backup may be behind).
    await store.save(identity, { restored: true });
    store.close();
    // Older backups have no wallet: this profile's own stays.
    await walletModule?.importBrowserWallet(wallet);
    return identity;
  }

  async stop(): Promise<void> {
    if (this.state.phase === 'running' || this.state.phase === 'connecting') {
      this.live = undefined;
      this.stopMarket();
      await stopPeer(this.state);
    }
    this.lock?.release();
  }
}
