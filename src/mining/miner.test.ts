import { describe, expect, it } from 'vitest';
import type { TorrentView } from '../sharing/sharing-service.ts';
import { Miner, type MinerSharing } from './miner.ts';
import { DEFAULT_MINING_SETTINGS, type SwarmInfo } from './mining-policy.ts';

const MiB = 1024 * 1024;
const NOW = 1_700_000_000_000;

/** Torrents as the sharing service would report them; add() completes at once. */
class FakeSharing implements MinerSharing {
  readonly torrents = new Map<string, TorrentView>();
  uploadLimit: number | undefined = undefined;
  async add(magnet: string): Promise<string> {
    const infoHash = /btih:([0-9a-f]{40})/.exec(magnet)![1]!;
    this.torrents.set(infoHash, view(infoHash, 'downloading'));
    return infoHash;
  }
  async remove(infoHash: string): Promise<void> {
    this.torrents.delete(infoHash);
  }
  views(): TorrentView[] {
    return [...this.torrents.values()];
  }
  setUploadLimit(b: number | undefined): void {
    this.uploadLimit = b;
  }
}

function view(infoHash: string, state: TorrentView['state']): TorrentView {
  return { infoHash, name: infoHash.slice(0, 6), length: 4 * MiB, state, paid: 0n, earned: 0n } as unknown as TorrentView;
}

function swarm(infohash: string, over: Partial<SwarmInfo> = {}): SwarmInfo {
  return { infoHash: infohash, name: `swarm ${infohash.slice(0, 4)}`, size: 4 * MiB, files: 1, seeders: 1, leechers: 6, demand: 8, announcers: 1, lastSeen: NOW, ...over };
}

function miner(swarms: SwarmInfo[], sharing = new FakeSharing(), store = new Map<string, string>()) {
  const m = new Miner({
    sharing,
    swarms: () => swarms,
    magnetFor: (h) => `magnet:?xt=urn:btih:${h}`,
    balance: async () => 0n,
    now: () => NOW,
    random: () => 0.5,
    storage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) },
    identityHex: 'ab',
  });
  return { m, sharing, store };
}

describe('Miner (glue)', () => {
  it('joins a wanted swarm directly, caps uploads while on, and stops every mined torrent at once when switched off', async () => {
    const wanted = 'a'.repeat(40);
    const { m, sharing } = miner([swarm(wanted)]);
    await m.saveSettings({ ...DEFAULT_MINING_SETTINGS, enabled: true });
    await expect.poll(() => sharing.torrents.has(wanted)).toBe(true);
    expect(sharing.uploadLimit).toBe(DEFAULT_MINING_SETTINGS.uploadCapBytesPerSec);
    await m.saveSettings({ ...DEFAULT_MINING_SETTINGS, enabled: false });
    expect(sharing.torrents.has(wanted)).toBe(false);
    expect(sharing.uploadLimit).toBeUndefined();
  });

  it('never mines, and so never drops, a torrent the user added', async () => {
    const users = 'b'.repeat(40);
    const sharing = new FakeSharing();
    sharing.torrents.set(users, view(users, 'seeding'));
    const { m } = miner([swarm(users)], sharing);
    await m.saveSettings({ ...DEFAULT_MINING_SETTINGS, enabled: true });
    await m.saveSettings({ ...DEFAULT_MINING_SETTINGS, enabled: false });
    expect(sharing.torrents.has(users)).toBe(true);
    expect(m.view().swarms.find((s) => s.infohash === users)).toBeUndefined();
  });

  it('keeps its state across a reload: what it mined is still its own', async () => {
    const wanted = 'c'.repeat(40);
    const first = miner([swarm(wanted)]);
    await first.m.saveSettings({ ...DEFAULT_MINING_SETTINGS, enabled: true });
    await expect.poll(() => first.sharing.torrents.has(wanted)).toBe(true);
    // A reload: a new Miner over the same storage and the same torrents.
    const again = miner([swarm(wanted)], first.sharing, first.store).m;
    await again.saveSettings({ ...DEFAULT_MINING_SETTINGS, enabled: false });
    expect(first.sharing.torrents.has(wanted)).toBe(false);
  });
});
