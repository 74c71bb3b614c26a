/**
 * A relay's tables, shared fairly among its neighbours (pure; time passed in).
 *
 * Every table a neighbour can make us fill (relayed circuits, circuits waiting
 * at a rendezvous point, services introduced here) has a total bound and a
 * per-neighbour bound. The neighbour is a key, not a connection: a peer that
 * opens several streams or connections to us still has one share, so one
 * neighbour alone never fills a table another needs.
 *
 * A full table says so (a refusal the requester can act on), never silence.
 */

export type TableRefusal = 'table-full' | 'neighbour-full';

export interface TableLimits {
  total: number;
  perNeighbour: number;
}

/** Whether one more entry of `neighbour` fits: `undefined` if it does, else why not. */
export function tableRoom(entries: Iterable<{ neighbour: string }>, neighbour: string, limits: TableLimits): TableRefusal | undefined {
  let total = 0;
  let mine = 0;
  for (const e of entries) {
    total++;
    if (e.neighbour === neighbour) mine++;
  }
  if (mine >= limits.perNeighbour) return 'neighbour-full';
  if (total >= limits.total) return 'table-full';
  return undefined;
}

/** A relayed circuit as the place-keeping rules see it. */
export interface Place {
  neighbour: string;
  /** When it last carried IDLE_PLACE_BYTES more (opening counts): keepalives alone never move it. */
  busyAt: number;
  /** Held for a role with its own table and bound (an introduction or a rendezvous wait): not reclaimed here. */
  exempt: boolean;
}

/**
 * The circuit that gives its place up when a table is full: the one idle the
 * longest, among those idle for at least `idleMs` (of `neighbour` only, when
 * it is the neighbour's share that is full). Keepalives keep a circuit from
 * the idle timeout, but not its place against a circuit that will carry data.
 */
export function idlePlace<P extends Place>(places: Iterable<P>, now: number, idleMs: number, neighbour?: string): P | undefined {
  let pick: P | undefined;
  for (const p of places) {
    if (p.exempt || now - p.busyAt < idleMs) continue;
    if (neighbour !== undefined && p.neighbour !== neighbour) continue;
    if (pick === undefined || p.busyAt < pick.busyAt) pick = p;
  }
  return pick;
}

interface Waiting<C> {
  circuit: C;
  neighbour: string;
  since: number;
}

/**
 * Circuits waiting at this rendezvous point for their other end, by cookie
 * (hex). Each waits at most `waitMs` here, whatever its originator does.
 */
export class RendezvousTable<C> {
  private readonly waiting = new Map<string, Waiting<C>>();

  constructor(private readonly limits: TableLimits & { waitMs: number }) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Parks `circuit` under `cookie`; a cookie already waiting is not taken over. */
  wait(cookie: string, circuit: C, neighbour: string, now: number): 'waiting' | 'duplicate' | TableRefusal {
    if (this.waiting.has(cookie)) return 'duplicate';
    const refusal = tableRoom(this.waiting.values(), neighbour, this.limits);
    if (refusal !== undefined) return refusal;
    this.waiting.set(cookie, { circuit, neighbour, since: now });
    return 'waiting';
  }

  /** The circuit waiting under `cookie`, taken out of the table. */
  take(cookie: string): C | undefined {
    const w = this.waiting.get(cookie);
    if (w !== undefined) this.waiting.delete(cookie);
    return w?.circuit;
  }

  /** Whether `circuit` waits here. */
  holds(circuit: C): boolean {
    for (const w of this.waiting.values()) if (w.circuit === circuit) return true;
    return false;
  }

  /** Removes and returns the circuits that waited `waitMs` or longer. */
  expire(now: number): C[] {
    const out: C[] = [];
    for (const [k, w] of this.waiting) {
      if (now - w.since >= this.limits.waitMs) {
        this.waiting.delete(k);
        out.push(w.circuit);
      }
    }
    return out;
  }

  /** A circuit closed: it waits no more. */
  drop(circuit: C): void {
    for (const [k, w] of this.waiting) if (w.circuit === circuit) this.waiting.delete(k);
  }
}
