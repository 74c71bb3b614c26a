/**
 * The credit miner of a tab (browser glue, thin): every DECIDE_EVERY_MS, and
 * at once when the settings change, it asks the policy (mining-policy.ts)
 * what to do with the discovery catalogue's swarms and the torrents it mines,
 * and does it: joins by adding the torrent directly (never over circuits),
 * drops by removing the torrent and its data. The policy's state and the
 * settings are kept in localStorage, per identity, so a reload resumes.
 */
import type { TorrentView } from '../sharing/sharing-service.ts';
import { DECIDE_EVERY_MS, decideMining, parseMiningSettings, parseMiningState, serializeMiningSettings, serializeMiningState, validateMiningSettings, type MinedPosition, type MiningRules, type MiningSettings, type MiningState, type SwarmExplanation, type SwarmInfo } from './mining-policy.ts';
import { DEFAULT_MINING_RULES } from './constants.ts';

export interface MinerSharing {
  add(magnet: string): Promise<string>;
  remove(infoHash: string): Promise<void>;
  views(): TorrentView[];
  setUploadLimit(bytesPerSecond: number | undefined): void;
}

/** Test builds only: shorter windows for e2e that wait for them. */
export interface MiningSeams {
  rules?: Partial<MiningRules>;
  decideEveryMs?: number;
}

export interface MinerDeps {
  sharing: MinerSharing;
  swarms(): SwarmInfo[];
  magnetFor(infoHash: string, name: string): string;
  /** My verified token balance. */
  balance(): Promise<bigint>;
  now(): number;
  random(): number;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
  /** Storage keys are per identity: two identities of one browser mine apart. */
  identityHex: string;
  seams?: MiningSeams | undefined;
}

export interface MiningView {
  settings: MiningSettings;
  swarms: SwarmExplanation[];
  /** Tokens mining has spent and earned over its life, and what it has at stake now. */
  invested: bigint;
  earned: bigint;
  lastDecisionAt: number | undefined;
  /** A join or drop that failed, said for the user. */
  problem?: string;
}

export class Miner {
  private settingsNow: MiningSettings;
  private state: MiningState;
  private explanations: SwarmExplanation[] = [];
  private lastDecisionAt: number | undefined;
  private problem: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private deciding: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<() => void>();
  /** Joins in flight: a torrent being added is not reported yet, and must not be joined twice. */
  private readonly joining = new Set<string>();

  constructor(private readonly deps: MinerDeps) {
    this.settingsNow = parseMiningSettings(deps.storage.getItem(this.key('settings')));
    this.state = parseMiningState(deps.storage.getItem(this.key('state')));
  }

  start(): void {
    this.applyUploadCap();
    this.timer = setInterval(() => void this.decide(), this.deps.seams?.decideEveryMs ?? DECIDE_EVERY_MS);
    void this.decide();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.listeners.clear();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  view(): MiningView {
    let invested = BigInt(this.state.spent);
    let earned = BigInt(this.state.earned);
    for (const h of Object.values(this.state.held)) {
      invested += BigInt(h.paid);
      earned += BigInt(h.earned);
    }
    return { settings: this.settingsNow, swarms: this.explanations, invested, earned, lastDecisionAt: this.lastDecisionAt, ...(this.problem === undefined ? {} : { problem: this.problem }) };
  }

  /** Validates (MiningSettingsError says what is wrong), saves, and decides at once: switching off stops every mined torrent now. */
  async saveSettings(settings: MiningSettings): Promise<void> {
    this.settingsNow = validateMiningSettings(settings);
    this.deps.storage.setItem(this.key('settings'), serializeMiningSettings(this.settingsNow));
    this.applyUploadCap();
    await this.decide();
  }

  /** One round of decisions, one at a time. */
  decide(): Promise<void> {
    this.deciding = this.deciding.then(() => this.round()).catch((err: unknown) => {
      this.problem = (err as Error).message;
      this.changed();
    });
    return this.deciding;
  }

  private async round(): Promise<void> {
    const now = this.deps.now();
    const mined = new Set([...Object.keys(this.state.held), ...Object.keys(this.state.dropped)]);
    const views = this.deps.sharing.views();
    // The user's own torrents are never mined: the miner would count them as its own and could drop them.
    const users = new Set(views.filter((v) => !mined.has(v.infoHash) && !this.joining.has(v.infoHash)).map((v) => v.infoHash));
    const positions: MinedPosition[] = views
      .filter((v) => mined.has(v.infoHash) && !this.joining.has(v.infoHash))
      .map((v) => ({ infohash: v.infoHash, size: v.length, joinedAt: this.state.held[v.infoHash]?.joinedAt ?? now, state: v.state === 'seeding' ? 'seeding' : 'downloading', paid: v.paid, earned: v.earned }));
    const outcome = decideMining(
      this.state,
      { settings: this.settingsNow, candidates: this.deps.swarms().filter((c) => !users.has(c.infoHash)), positions, balance: await this.deps.balance() },
      { now, random: this.deps.random },
      { ...DEFAULT_MINING_RULES, ...this.deps.seams?.rules },
    );
    this.state = outcome.state;
    this.deps.storage.setItem(this.key('state'), serializeMiningState(this.state));
    this.explanations = outcome.explanations;
    this.lastDecisionAt = now;
    this.problem = undefined;
    for (const d of outcome.decisions) {
      if (d.kind === 'drop') await this.drop(d.infohash);
      else this.join(d.infohash);
    }
    this.changed();
  }

  /** Added directly (announced to trackers, never over circuits); resolves when the metadata came, so it is not awaited. */
  private join(infohash: string): void {
    if (this.joining.has(infohash) || this.deps.sharing.views().some((v) => v.infoHash === infohash)) return;
    this.joining.add(infohash);
    const name = this.deps.swarms().find((s) => s.infoHash === infohash)?.name ?? '';
    this.deps.sharing
      .add(this.deps.magnetFor(infohash, name))
      .catch((err: unknown) => {
        this.problem = `Could not join ${name || infohash}: ${(err as Error).message}`;
      })
      .finally(() => {
        this.joining.delete(infohash);
        this.changed();
      });
  }

  private async drop(infohash: string): Promise<void> {
    if (!this.deps.sharing.views().some((v) => v.infoHash === infohash)) return;
    await this.deps.sharing.remove(infohash);
  }

  private applyUploadCap(): void {
    this.deps.sharing.setUploadLimit(this.settingsNow.enabled ? this.settingsNow.uploadCapBytesPerSec : undefined);
  }

  private key(what: 'settings' | 'state'): string {
    return `trustmesh.mining.${what}.${this.deps.identityHex}`;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
