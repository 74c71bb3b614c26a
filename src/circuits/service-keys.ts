/**
 * Where a hidden seeder keeps the service key of each swarm it hides (pure
 * interface and an in-memory store for tests). The key must stay the same
 * across publishes and reloads: downloaders prefer the key they see most, and
 * introduction points keep a swarm's place for the key that holds it.
 */
import { SEED_LENGTH } from '../crypto/ed25519.ts';

export interface ServiceKeyStore {
  /** The Ed25519 seed of the swarm's service key; made (and kept) on first use. Never log it. */
  seedFor(infoHash: string): Promise<Uint8Array>;
}

export class MemoryServiceKeyStore implements ServiceKeyStore {
  private readonly seeds = new Map<string, Uint8Array>();

  constructor(private readonly random: (n: number) => Uint8Array) {}

  async seedFor(infoHash: string): Promise<Uint8Array> {
    let seed = this.seeds.get(infoHash);
    if (seed === undefined) this.seeds.set(infoHash, (seed = this.random(SEED_LENGTH)));
    return seed;
  }
}
