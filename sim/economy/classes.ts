/**
 * Pure: the peer classes of the economy experiment and what each does. A class is a set of
 * behaviours; every decision about serving, admitting or mining is taken by the app's own
 * modules (see engine.ts), never here.
 *
 *   cooperator   downloads, uploads while downloading, seeds what it finished; pays
 *   free-rider   downloads and pays (it has the extension), never uploads, leaves a swarm once done
 *   whitewasher  a free-rider that takes a fresh key whenever a seeder refuses it
 *   sybil        a free-rider in a ring whose sink key signed each member a large credit
 *   miner        downloads nothing for itself; its tab mines swarms the mining policy picks
 *   relay        carries circuits (the middle hop of 2-hop paths), paid per byte carried
 *   exit         the last hop of every private download: joins the public swarm for the originator
 *   stock        a stock WebTorrent client: uploads and downloads, no extension, no ledger
 */

export const PEER_CLASSES = ['cooperator', 'free-rider', 'whitewasher', 'sybil', 'miner', 'relay', 'exit', 'stock'] as const;
export type PeerClass = (typeof PEER_CLASSES)[number];

export interface Traits {
  /** Requests files for its user. */
  readonly downloads: boolean;
  /** Serves pieces it holds. */
  readonly uploads: boolean;
  /** Keeps seeding what it finished while online. */
  readonly seeds: boolean;
  /** Speaks the payment extension: proves a key, pays, is judged by the policy. */
  readonly extension: boolean;
  readonly whitewashes: boolean;
  /** Keeps its tab open: sessions ALWAYS_ON_SESSION_FACTOR times longer. */
  readonly alwaysOn: boolean;
  /** Some of its downloads go over circuits. */
  readonly private: boolean;
}

const base: Traits = { downloads: true, uploads: true, seeds: true, extension: true, whitewashes: false, alwaysOn: false, private: false };
const taker: Traits = { ...base, uploads: false, seeds: false };
const infrastructure: Traits = { ...base, downloads: false, seeds: false, alwaysOn: true };

export const TRAITS: Record<PeerClass, Traits> = {
  cooperator: { ...base, private: true },
  'free-rider': taker,
  whitewasher: { ...taker, whitewashes: true },
  sybil: taker,
  miner: { ...infrastructure, uploads: true },
  relay: { ...infrastructure, uploads: false },
  exit: { ...infrastructure, uploads: false },
  stock: { ...base, extension: false },
};

/** Classes that give nothing back: their share of the network's upload is the commons' loss. */
export const NON_CONTRIBUTORS: ReadonlySet<PeerClass> = new Set(['free-rider', 'whitewasher', 'sybil']);

/** A population mix: the share of each class (normalized when drawn). */
export type Mix = Partial<Record<PeerClass, number>>;

/** Class counts for `peers` peers: largest remainders, so the counts sum to `peers` exactly. */
export function classCounts(mix: Mix, peers: number): Map<PeerClass, number> {
  const entries = PEER_CLASSES.map((c) => [c, mix[c] ?? 0] as const).filter(([, w]) => w > 0);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  const exact = entries.map(([c, w]) => [c, (w / total) * peers] as const);
  const counts = new Map(exact.map(([c, x]) => [c, Math.floor(x)] as const));
  let left = peers - [...counts.values()].reduce((a, n) => a + n, 0);
  const byRemainder = [...exact].sort((a, b) => b[1] - Math.floor(b[1]) - (a[1] - Math.floor(a[1])) || PEER_CLASSES.indexOf(a[0]) - PEER_CLASSES.indexOf(b[0]));
  for (const [c] of byRemainder) {
    if (left === 0) break;
    counts.set(c, counts.get(c)! + 1);
    left--;
  }
  return counts;
}
