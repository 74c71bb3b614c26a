/**
 * Relay admission: who may open a circuit through us. Pure. Fraudsters never;
 * while there is room, anyone else; when full, a requester with a higher
 * verified balance takes the place of the lowest-ranked holder, and newcomers
 * (no verified balance, or short chains: possible Sybils) compete only for a
 * bounded share of the places, with random eviction among themselves, as
 * Tribler's 15 ranked + 5 random slots, but on verified balances.
 */
export interface Requester {
  fraudster: boolean;
  /** Verified balance from its signed chain; undefined when unknown. */
  balance?: bigint | undefined;
  chainLength: number;
}

export interface Holder {
  id: string;
  newcomer: boolean;
  balance: bigint;
}

export interface AdmissionConfig {
  capacity: number;
  /** Share of places newcomers may hold when the relay is full. */
  newcomerShare: number;
  /** Chains shorter than this are newcomers. */
  newcomerChainLength: number;
}

export type Admission = { admit: true; newcomer: boolean; balance: bigint; evict?: string } | { admit: false; reason: 'refused' | 'limit' };

export function isNewcomer(r: Requester, c: AdmissionConfig): boolean {
  return r.balance === undefined || r.chainLength < c.newcomerChainLength;
}

export function admit(r: Requester, holders: readonly Holder[], c: AdmissionConfig, random: () => number): Admission {
  if (r.fraudster) return { admit: false, reason: 'refused' };
  const newcomer = isNewcomer(r, c);
  const balance = r.balance ?? 0n;
  if (holders.length < c.capacity) return { admit: true, newcomer, balance };
  const newcomerPlaces = Math.floor(c.capacity * c.newcomerShare);
  const newcomers = holders.filter((h) => h.newcomer);
  if (newcomer) {
    // Newcomers take turns in their own share: a random one gives way.
    if (newcomerPlaces === 0) return { admit: false, reason: 'limit' };
    if (newcomers.length < newcomerPlaces) {
      const lowest = lowestMember(holders);
      return lowest === undefined ? { admit: false, reason: 'limit' } : { admit: true, newcomer, balance, evict: lowest.id };
    }
    return { admit: true, newcomer, balance, evict: newcomers[Math.floor(random() * newcomers.length)]!.id };
  }
  const lowest = lowestMember(holders) ?? (newcomers.length > newcomerPlaces ? newcomers[0] : undefined);
  if (lowest === undefined || (!lowest.newcomer && lowest.balance >= balance)) return { admit: false, reason: 'limit' };
  return { admit: true, newcomer, balance, evict: lowest.id };
}

function lowestMember(holders: readonly Holder[]): Holder | undefined {
  let low: Holder | undefined;
  for (const h of holders) if (!h.newcomer && (low === undefined || h.balance < low.balance)) low = h;
  return low;
}
