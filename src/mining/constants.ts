/** Pure: credit mining's rules and limits, each with the reason for its value. */

const MiB = 1024 * 1024;
const HOUR = 60 * 60 * 1000;

export interface MiningRules {
  /** Most swarms held at once (downloading or seeding). */
  maxPositions: number;
  /** Expected earning must reach this multiple of the cost before the miner joins. */
  joinMargin: number;
  /** Fewest seeders (others) a swarm must have: the miner downloads a full copy before it earns. */
  minSeeders: number;
  /** An announcement older than this says nothing about demand now. */
  candidateMaxAgeMs: number;
  /** A seeding swarm must have earned back its cost this long after it finished downloading. */
  paybackWindowMs: number;
  /** A swarm still downloading this long after it was joined is dropped (stalled or starved). */
  downloadTimeoutMs: number;
  /** A paid-back swarm that earned less than `idleMinShare` of its size over this long is dropped. */
  idleWindowMs: number;
  idleMinShare: number;
  /** A dropped swarm is not joined again for this long. */
  cooldownMs: number;
  /** Most dropped swarms remembered (for their cool-down and the Mining page); oldest forgotten first. */
  maxRemembered: number;
}

export const DEFAULT_MINING_RULES: MiningRules = {
  /** Tribler's credit miner kept 8 active torrents; each also holds disk and an upload share. */
  maxPositions: 8,
  /**
   * Twice the cost: the estimate is a snapshot of demand, so half of it may go and the swarm
   * still pays back. It also implies demand > 2 × (seeders + 1): a swarm is joined only where a
   * new seeder is clearly short.
   */
  joinMargin: 2,
  /** Without a seeder the miner may never complete its copy, and pays for every piece it does get. */
  minSeeders: 1,
  /** Two announcement rounds of discovery (~15 min each): an older record is a swarm that went quiet. */
  candidateMaxAgeMs: 30 * 60 * 1000,
  /**
   * A day: BitTorrent demand is highest in the first days of a swarm, so a swarm that has not
   * paid back in a day rarely will; a day also bounds how long a loss sits on disk. (Tribler
   * waited a week for 5 MB, and its balances went negative by gigabytes.)
   */
  paybackWindowMs: 24 * HOUR,
  /** A download that takes more than six hours is starved of seeders; every further byte costs. */
  downloadTimeoutMs: 6 * HOUR,
  /** A day with under 5 % of the size uploaded: the swarm no longer wants us; free the disk for one that does. */
  idleWindowMs: 24 * HOUR,
  idleMinShare: 0.05,
  /** A day, as long as the payback window: a swarm dropped for no demand is not retried until its demand could have changed. */
  cooldownMs: 24 * HOUR,
  /** Bounds the saved state (~150 bytes each); more drops within a day than this means something else is wrong. */
  maxRemembered: 256,
};

/** Settings bounds (see `validateMiningSettings`). */
export const MIN_DISK_BUDGET_BYTES = 16 * MiB;
/** 1 TiB: beyond any browser's storage quota. */
export const MAX_DISK_BUDGET_BYTES = 1024 * 1024 * MiB;
/** 16 KiB/s: one block per second; below it a seeder earns nothing worth a payment. */
export const MIN_UPLOAD_CAP_BYTES_PER_SEC = 16 * 1024;
/** 1 GiB/s: above any real uplink. */
export const MAX_UPLOAD_CAP_BYTES_PER_SEC = 1024 * MiB;
export const MIN_INVESTMENT_BYTES = BigInt(MiB);
/** 64 GiB: a limit this high is no limit for a browser miner; refuse it rather than pretend. */
export const MAX_INVESTMENT_BYTES = 64n * 1024n * BigInt(MiB);
