/**
 * Guard relays of a hidden seeder (pure; clock and randomness injected;
 * state as JSON so it persists). Each introduction makes the seeder build a
 * circuit; with a fresh random first hop each time, an attacker who makes it
 * build many (or waits long enough) sees one run through a relay of its own,
 * whose previous hop is then the seeder (Øverlier and Syverson). So, as Tor
 * does, every circuit of the seeder starts at one of a few guards kept for a
 * long time: an attacker learns the seeder only if it runs one of them.
 *
 * A guard is kept GUARD_LIFETIME_MS, and dropped earlier only after it has
 * not been seen connected for GUARD_ABSENCE_MS; a new guard is added only
 * while fewer than MAX_GUARDS are held and none of them is usable now, so
 * knocking guards offline for a while does not rotate the set quickly.
 */

/** Guards held: a few, so one leaving does not stop the service, and few enough that an attacker rarely runs one. */
export const MAX_GUARDS = 3;
/** A guard is kept this long (Tor: months; browser peers come and go, so weeks). */
export const GUARD_LIFETIME_MS = 30 * 24 * 60 * 60_000;
/** A guard not seen connected for this long is dropped (its peer left the network). */
export const GUARD_ABSENCE_MS = 24 * 60 * 60_000;

interface Guard {
  key: string;
  chosenAt: number;
  lastSeen: number;
}

export class GuardSet {
  private guards: Guard[];

  constructor(
    saved: string | null,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {
    this.guards = parse(saved);
  }

  /** Keys (hex) of the guards held. */
  keys(): string[] {
    return this.guards.map((g) => g.key);
  }

  /**
   * The first hop of a new circuit, among `connected` relays (hex keys) not in
   * `exclude`: a usable guard, or a new one while the set has room and no guard
   * is usable; undefined when every guard is away and the set is full (wait).
   */
  firstHop(connected: readonly string[], exclude: ReadonlySet<string>): string | undefined {
    const now = this.now();
    const present = new Set(connected);
    for (const g of this.guards) if (present.has(g.key)) g.lastSeen = now;
    this.guards = this.guards.filter((g) => now - g.chosenAt < GUARD_LIFETIME_MS && now - g.lastSeen < GUARD_ABSENCE_MS);
    const usable = this.guards.filter((g) => present.has(g.key) && !exclude.has(g.key));
    if (usable.length > 0) return usable[Math.floor(this.random() * usable.length)]!.key;
    if (this.guards.length >= MAX_GUARDS) return undefined;
    const fresh = connected.filter((k) => !exclude.has(k) && !this.guards.some((g) => g.key === k));
    if (fresh.length === 0) return undefined;
    const key = fresh[Math.floor(this.random() * fresh.length)]!;
    this.guards.push({ key, chosenAt: now, lastSeen: now });
    return key;
  }

  serialize(): string {
    return JSON.stringify({ v: 1, guards: this.guards });
  }
}

function parse(saved: string | null): Guard[] {
  if (saved === null) return [];
  try {
    const o = JSON.parse(saved) as { v?: number; guards?: Guard[] };
    if (o.v !== 1 || !Array.isArray(o.guards)) return [];
    return o.guards
      .filter((g) => typeof g.key === 'string' && /^[0-9a-f]{64}$/.test(g.key) && Number.isFinite(g.chosenAt) && Number.isFinite(g.lastSeen))
      .slice(0, MAX_GUARDS);
  } catch {
    return [];
  }
}
