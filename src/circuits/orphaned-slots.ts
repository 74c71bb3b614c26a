/**
 * Closed circuits whose link went, by neighbour and circuit id (pure). A
 * payment for one is owed whatever became of the link: its payer sends the
 * payout on another link to us (circuit-node.ts, sendFrame), and we find the
 * circuit here. Entries last while their circuit's payments may still come.
 */
import { toHex } from '../codec/bytes.ts';
import type { CircuitLink } from './circuit-link.ts';

/** Where a circuit sat: the link that went and its slot on it. */
export interface OrphanedSlot {
  link: CircuitLink;
  slot: string;
}

export class OrphanedSlots {
  private readonly byNeighbour = new Map<string, OrphanedSlot>();

  /** The circuit at `slot`, `circuitId` on `link`, lost that link. */
  add(link: CircuitLink, circuitId: number, slot: string): void {
    this.byNeighbour.set(`${toHex(link.remoteKey)}:${circuitId}`, { link, slot });
  }

  /** The slot that the neighbour with this key had `circuitId` on, on a link since gone. */
  find(neighbour: Uint8Array, circuitId: number): OrphanedSlot | undefined {
    return this.byNeighbour.get(`${toHex(neighbour)}:${circuitId}`);
  }

  /** Forgets slots no payment can be taken for any more. */
  sweep(live: (slot: string) => boolean): void {
    for (const [k, o] of this.byNeighbour) if (!live(o.slot)) this.byNeighbour.delete(k);
  }
}
