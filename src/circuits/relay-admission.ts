/**
 * Who may open a circuit through us: relaying on, the key not over its unpaid
 * window, room in the table within the neighbour's share (an idle circuit
 * gives its place up, relay-tables.ts), then admission by standing
 * (admission.ts, which may evict a newcomer when full).
 *
 * The decision straddles one await (what the ledger knows of the key); from
 * there until the circuit is in the table nothing awaits but its ciphers, and
 * places being set up count with the table, so creates racing in over several
 * links of one neighbour each see the places the others took.
 */
import { toHex } from '../codec/bytes.ts';
import { admit, type AdmissionConfig } from './admission.ts';
import type { DestroyReason } from './cell-wire.ts';
import type { CircuitNodeOptions } from './circuit-node-options.ts';
import { IDLE_PLACE_MS, MAX_CIRCUITS_PER_NEIGHBOUR, MAX_RELAYED_CIRCUITS, RELAY_NEWCOMER_CHAIN_LENGTH, RELAY_NEWCOMER_SHARE } from './constants.ts';
import { idlePlace, tableRoom } from './relay-tables.ts';
import type { Relayed } from './relayed.ts';

/** Relay admission: capacity and newcomer share (Tribler kept 5 of 20 places random). */
const ADMISSION: AdmissionConfig = { capacity: MAX_RELAYED_CIRCUITS, newcomerShare: RELAY_NEWCOMER_SHARE, newcomerChainLength: RELAY_NEWCOMER_CHAIN_LENGTH };

export interface AdmissionHost {
  overWindow(neighbour: string): boolean;
  /** The circuits we relay; `exempt` ones hold a place another table bounds (an introduction, a rendezvous wait). */
  relayed(): { r: Relayed; exempt: boolean }[];
  /** Ends a circuit to free its place. */
  evict(r: Relayed): void;
}

export type Decision =
  | { admit: false; reason: DestroyReason }
  /** Admitted: call `settled` once the circuit is in the table (or failed to get there). */
  | { admit: true; newcomer: boolean; balance: bigint; settled(): void }
  /** The slot was taken meanwhile (the same create twice): nothing to answer. */
  | 'taken';

export class RelayAdmission {
  /** Places given to creates whose circuit is still being set up, by neighbour (hex). */
  private readonly settingUp = new Map<string, number>();

  constructor(
    private readonly o: Pick<CircuitNodeOptions, 'relaying' | 'requester' | 'now' | 'random'>,
    private readonly host: AdmissionHost,
  ) {}

  /** Decides on a create from the neighbour with `key`; `free()` says whether its slot is still free. */
  async decide(key: Uint8Array, free: () => boolean): Promise<Decision> {
    if (!this.o.relaying()) return { admit: false, reason: 'refused' };
    const neighbour = toHex(key);
    // A key over its window is refused until it pays, however many circuits or connections it starts afresh.
    if (this.host.overWindow(neighbour)) return { admit: false, reason: 'unpaid' };
    const facts = (await this.o.requester?.(key)) ?? { fraudster: false, balance: undefined, chainLength: 0 };
    // From here until `settled`, nothing awaits.
    if (!free()) return 'taken';
    const relayed = this.host.relayed();
    const room = this.room(neighbour, relayed);
    if (room === 'none') return { admit: false, reason: 'limit' };
    // Judged as if the idle circuit were gone; it goes only if the create is admitted (a refused one evicts nothing).
    const holders = relayed.filter(({ r }) => r !== room).map(({ r }) => ({ id: r.id, newcomer: r.newcomer, balance: r.balance }));
    const decision = admit(facts, holders, ADMISSION, () => this.o.random(1)[0]! / 256);
    if (!decision.admit) return decision;
    if (room !== 'free') this.host.evict(room);
    if (decision.evict !== undefined) {
      const evicted = relayed.find(({ r }) => r.id === decision.evict);
      if (evicted !== undefined && evicted.r !== room) this.host.evict(evicted.r);
    }
    this.settingUp.set(neighbour, (this.settingUp.get(neighbour) ?? 0) + 1);
    let done = false;
    const settled = (): void => {
      if (done) return;
      done = true;
      const n = this.settingUp.get(neighbour)! - 1;
      if (n === 0) this.settingUp.delete(neighbour);
      else this.settingUp.set(neighbour, n);
    };
    return { admit: true, newcomer: decision.newcomer, balance: decision.balance, settled };
  }

  /**
   * Whether one more circuit from `neighbour` fits: 'free', or the idle circuit
   * whose place it would take, or 'none'. A table full of busy circuits is left
   * to admission (it may evict a newcomer), so that is 'free' here.
   */
  private room(neighbour: string, relayed: { r: Relayed; exempt: boolean }[]): 'free' | 'none' | Relayed {
    const places = relayed.map(({ r, exempt }) => ({ r, neighbour: r.debtor, busyAt: r.busyAt, exempt }));
    const setting = [...this.settingUp].flatMap(([n, count]) => Array.from({ length: count }, () => ({ neighbour: n })));
    const full = tableRoom([...places, ...setting], neighbour, { total: MAX_RELAYED_CIRCUITS, perNeighbour: MAX_CIRCUITS_PER_NEIGHBOUR });
    if (full === undefined) return 'free';
    const idle = idlePlace(places, this.o.now(), IDLE_PLACE_MS, full === 'neighbour-full' ? neighbour : undefined);
    if (idle === undefined) return full === 'table-full' ? 'free' : 'none';
    return idle.r;
  }
}
