/**
 * Choosing the exit relay for a download's circuit (pure; clock and
 * randomness injected). The rules:
 *
 *  1. Only announced exits we are directly connected to are candidates (the
 *     caller's list), and never a proven fraudster, whatever the list says.
 *  2. An exit whose circuit broke or could not be built is passed over for
 *     EXIT_AVOID_FAILED_MS while another exit is available (it may only have
 *     been a relay before it that left).
 *  3. An exit whose stream was dropped for junk (bytes that failed hash
 *     checks) is not chosen at all for EXIT_AVOID_CHEATED_MS.
 *  4. Random among the rest, so downloads spread over exits and no one exit
 *     learns every download of a tab.
 *  5. None left: a `no-exit` outcome that says why, for the Files page.
 */
import { toHex } from '../codec/bytes.ts';
import { EXIT_AVOID_CHEATED_MS, EXIT_AVOID_FAILED_MS } from './constants.ts';

/** Exits to pass over for a while, by key (hex), and how firmly. */
export class ExitAvoidance {
  private readonly avoided = new Map<string, { until: number; cheated: boolean }>();

  constructor(private readonly now: () => number) {}

  /** Its circuit broke or could not be built. */
  failed(exit: Uint8Array): void {
    this.mark(exit, EXIT_AVOID_FAILED_MS, false);
  }

  /** A stream through it was dropped for junk. */
  cheated(exit: Uint8Array): void {
    this.mark(exit, EXIT_AVOID_CHEATED_MS, true);
  }

  /** 'failed': pass over while others exist; 'cheated': never; undefined: usable. */
  state(exit: Uint8Array): 'failed' | 'cheated' | undefined {
    const key = toHex(exit);
    const a = this.avoided.get(key);
    if (a === undefined) return undefined;
    if (a.until <= this.now()) {
      this.avoided.delete(key);
      return undefined;
    }
    return a.cheated ? 'cheated' : 'failed';
  }

  private mark(exit: Uint8Array, ms: number, cheated: boolean): void {
    const key = toHex(exit);
    const now = this.now();
    const known = this.avoided.get(key);
    // A failure after junk neither shortens nor softens what the junk earned.
    if (known !== undefined && known.cheated && known.until > now && !cheated) return;
    this.avoided.set(key, { until: now + ms, cheated });
  }
}

export type ExitChoice =
  | { kind: 'exit'; exit: Uint8Array }
  /** none-connected: no announced exit is a direct peer now; all-avoided: each one failed or sent junk lately. */
  | { kind: 'no-exit'; why: 'none-connected' | 'all-avoided'; message: string };

export interface ExitChoiceDeps {
  isFraudster(key: Uint8Array): boolean;
  avoidance: ExitAvoidance;
  /** Uniform in [0, 1). */
  random(): number;
}

/** Picks the exit for a new circuit among `exits` (announced exits directly connected to us). */
export function chooseExit(exits: readonly Uint8Array[], deps: ExitChoiceDeps): ExitChoice {
  const honest = exits.filter((k) => !deps.isFraudster(k));
  if (honest.length === 0) {
    return { kind: 'no-exit', why: 'none-connected', message: 'No exit relay is connected yet (exits are peers that turned exiting on in their Circuits page). The download keeps looking; "Download directly" fetches it without relays.' };
  }
  const states = honest.map((k) => ({ k, state: deps.avoidance.state(k) }));
  const fresh = states.filter((s) => s.state === undefined);
  const pool = fresh.length > 0 ? fresh : states.filter((s) => s.state === 'failed');
  if (pool.length === 0) {
    return { kind: 'no-exit', why: 'all-avoided', message: 'Every connected exit relay sent data that failed hash checks lately, so none is used for now. The download keeps looking; "Download directly" fetches it without relays.' };
  }
  return { kind: 'exit', exit: pool[Math.min(pool.length - 1, Math.floor(deps.random() * pool.length))]!.k };
}
