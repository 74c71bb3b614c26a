/**
 * Times a download for the benches (test builds only): from when it was added
 * to done, with when its first peer came and its first byte arrived, so set-up
 * and transfer can be told apart.
 */
import type { SharingService } from '../../sharing/sharing-service.ts';

/** How often a timed download's phases are sampled: fine against the seconds a bench download takes. */
const PHASE_SAMPLE_MS = 50;

export interface TimedDownload {
  infoHash: string;
  /** Milliseconds from `start` to done, to the first peer, to the first byte downloaded. */
  ms: number;
  firstPeerMs: number;
  firstByteMs: number;
}

/** Resolves once the download of `infoHash`, added at `start` (performance.now()), is complete. */
export function timeDownload(sharing: SharingService, infoHash: string, start: number): Promise<TimedDownload> {
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
}
