/**
 * Test hooks for exits (test builds only, see test-hooks.ts): turning exiting
 * on, where a download's exit stands, who our chain pays and is paid by, and
 * an exit that stalls mid-transfer (through the exits' fault seams).
 */
import { fromHex, toHex } from '../../codec/bytes.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';
import { timeDownload, type TimedDownload } from './timed-download.ts';

/** Blocks of our own chain a test reads at most (an e2e chain is far shorter). */
const CHAIN_BLOCKS = 10_000;

export function exitHooks(session: AppSession) {
  const r = () => running(session);
  const ownChain = () => r().ledger.service.ownChain(CHAIN_BLOCKS);
  let release: (() => void) | undefined;
  return {
    publicKey: () => toHex(r().identity.publicKey),
    setExiting: (on: boolean) => r().circuits.saveSettings({ ...r().circuits.settings, relaying: r().circuits.settings.relaying || on, exit: on }),
    /** Exits we know of, and how many are connected to us. */
    counts: () => r().circuits.exitCounts(),
    /** The exit (key hex) carrying a download now, if any. */
    exitOf: (infoHash: string) => r().exits.status(infoHash)?.exit,
    status: (infoHash: string) => r().exits.status(infoHash),
    /** The BitTorrent peer id our own downloads use. */
    swarmPeerId: () => r().sharing.swarmPeerId,
    /**
     * Downloads a magnet and times it from add to done (bench), with the same clock either way: `hops` 0 directly,
     * else as a hidden download of `hops` (the exit included), which only exits serve (the magnet's seeder is not hidden).
     * Also when the first peer came and the first byte arrived (timed-download.ts).
     */
    async downloadTimed(magnet: string, hops: number): Promise<TimedDownload> {
      const start = performance.now();
      const infoHash = hops === 0 ? await r().sharing.add(magnet) : await r().sharing.addHidden(magnet, { hops });
      return timeDownload(r().sharing, infoHash, start);
    },
    /** Keys (hex) our chain has a block with. */
    counterparties: async () => [...new Set((await ownChain()).map((b) => toHex(b.linkPublicKey)))],
    /** Tokens our chain records as earned (up) in blocks with this key. */
    async earnedFrom(keyHex: string) {
      const key = fromHex(keyHex);
      let up = 0n;
      for (const b of await ownChain()) if (toHex(b.linkPublicKey) === toHex(key)) up += r().ledger.registry.tokensOf(b)?.up ?? 0n;
      return up.toString();
    },
    netBalance: async () => (await r().sharing.ownBalance()).net.toString(),
    /** Holds what this exit passes on to originators once a stream passed `bytes` on (undefined: let everything through again). */
    stallAfter(bytes: number | undefined) {
      const seams = session.seams?.exits;
      if (seams === undefined) throw new Error('this build has no fault seams (build with --mode test)');
      release?.();
      release = undefined;
      if (bytes === undefined) return void (seams.beforeForward = undefined);
      const held = new Promise<void>((resolve) => (release = resolve));
      seams.beforeForward = (total) => (total >= bytes ? held : undefined);
    },
  };
}
