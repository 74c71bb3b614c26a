/**
 * Test hooks for exits (test builds only, see test-hooks.ts): turning exiting
 * on, where a download's exit stands, who our chain pays and is paid by, and
 * an exit that stalls mid-transfer (through the exits' fault seams).
 */
import { fromHex, toHex } from '../../codec/bytes.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';

/** Blocks of our own chain a test reads at most (an e2e chain is far shorter). */
const CHAIN_BLOCKS = 10_000;
/** How often a timed download's phases are sampled: fine against the seconds a bench download takes. */
const PHASE_SAMPLE_MS = 50;

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
     * Also when the first peer came and the first byte arrived, sampled every PHASE_SAMPLE_MS, to tell set-up from transfer.
     */
    async downloadTimed(magnet: string, hops: number): Promise<{ infoHash: string; ms: number; firstPeerMs: number; firstByteMs: number }> {
      const sharing = r().sharing;
      const start = performance.now();
      const infoHash = hops === 0 ? await sharing.add(magnet) : await sharing.addHidden(magnet, { hops });
      const phases = { firstPeerMs: NaN, firstByteMs: NaN };
      return new Promise((resolve) => {
        const check = (): void => {
          const v = sharing.views().find((x) => x.infoHash === infoHash);
          const now = performance.now() - start;
          if (Number.isNaN(phases.firstPeerMs) && (v?.peers ?? 0) > 0) phases.firstPeerMs = now;
          if (Number.isNaN(phases.firstByteMs) && (v?.downloaded ?? 0) > 0) phases.firstByteMs = now;
          if (v?.state !== 'seeding') return;
          clearInterval(sampler);
          off();
          resolve({ infoHash, ms: now, ...phases });
        };
        const sampler = setInterval(check, PHASE_SAMPLE_MS);
        const off = sharing.subscribe(check);
        check();
      });
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
