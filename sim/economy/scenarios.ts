/** Pure: the named scenarios of `npm run sim -- --economy <name>`, each a population mix and its reason. */
import type { Judging } from './accounting.ts';
import type { Mix } from './classes.ts';

export interface EconomyScenario {
  readonly name: string;
  readonly about: string;
  readonly mix: Mix;
  /**
   * How a seeder counts a peer's credits: 'trusted' as the app does (credits up to the peer's
   * trusted standing at the giving rate, src/reputation/trusted-balance.ts), 'standing' (the rule
   * before the giving rate, standing taken as bytes), or 'raw' (every credit at face value), to
   * show what reputation buys against Sybil rings.
   */
  readonly judge: Judging;
}

/** Every class present, in roughly the shares a public deployment might see. */
const DEFAULT_MIX: Mix = { cooperator: 55, 'free-rider': 15, whitewasher: 5, sybil: 5, miner: 3, relay: 4, exit: 3, stock: 10 };

export const SCENARIOS: readonly EconomyScenario[] = [
  { name: 'default', about: 'every class, a public deployment’s mix', mix: DEFAULT_MIX, judge: 'trusted' },
  { name: 'default-standing', about: 'the default mix judged by the rule before the giving rate: standing taken as bytes', mix: DEFAULT_MIX, judge: 'standing' },
  { name: 'default-raw', about: 'the default mix judged on raw balances (no reputation): what trust costs and buys', mix: DEFAULT_MIX, judge: 'raw' },
  { name: 'free-riders', about: 'half the peers never upload (a leech-heavy swarm)', mix: { ...DEFAULT_MIX, cooperator: 30, 'free-rider': 40 }, judge: 'trusted' },
  { name: 'whitewash', about: 'a fifth whitewash: fresh keys whenever refused', mix: { ...DEFAULT_MIX, 'free-rider': 0, whitewasher: 20 }, judge: 'trusted' },
  { name: 'sybil', about: 'a fifth are Sybil rings that mint 10 GiB per member', mix: { ...DEFAULT_MIX, 'free-rider': 5, whitewasher: 0, sybil: 20 }, judge: 'trusted' },
  { name: 'sybil-raw', about: 'the Sybil scenario judged on raw balances (no reputation)', mix: { ...DEFAULT_MIX, 'free-rider': 5, whitewasher: 0, sybil: 20 }, judge: 'raw' },
  { name: 'stock', about: 'a third are stock WebTorrent clients', mix: { ...DEFAULT_MIX, cooperator: 35, stock: 30 }, judge: 'trusted' },
];

export class UnknownScenarioError extends Error {
  override name = 'UnknownScenarioError';
}

export function scenarioByName(name: string): EconomyScenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new UnknownScenarioError(`no economy scenario "${name}"; choose one of: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
}
