import { describe, expect, it } from 'vitest';
import type { CircuitLink } from './circuit-link.ts';
import { OrphanedSlots } from './orphaned-slots.ts';

const linkTo = (byte: number): CircuitLink => ({ remoteKey: new Uint8Array(32).fill(byte), send: async () => undefined, close: () => undefined });

describe('orphaned slots', () => {
  it("finds a circuit by the neighbour it ran with and its id only: another neighbour naming the id finds nothing, so cannot pay into it", () => {
    const orphans = new OrphanedSlots();
    const gone = linkTo(1);
    orphans.add(gone, 7, '3:7');
    expect(orphans.find(new Uint8Array(32).fill(1), 7)).toEqual({ link: gone, slot: '3:7' });
    expect(orphans.find(new Uint8Array(32).fill(2), 7)).toBeUndefined();
    expect(orphans.find(new Uint8Array(32).fill(1), 8)).toBeUndefined();
  });

  it('forgets a slot once no payment can be taken for its circuit', () => {
    const orphans = new OrphanedSlots();
    orphans.add(linkTo(1), 7, '3:7');
    orphans.add(linkTo(1), 9, '3:9');
    orphans.sweep((slot) => slot === '3:9');
    expect(orphans.find(new Uint8Array(32).fill(1), 7)).toBeUndefined();
    expect(orphans.find(new Uint8Array(32).fill(1), 9)).toBeDefined();
  });
});
