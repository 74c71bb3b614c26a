/** Pure: the user's credit-mining settings, validation and their JSON form (the token amount as a decimal string). */
import {
  MAX_DISK_BUDGET_BYTES,
  MAX_INVESTMENT_BYTES,
  MAX_UPLOAD_CAP_BYTES_PER_SEC,
  MIN_DISK_BUDGET_BYTES,
  MIN_INVESTMENT_BYTES,
  MIN_UPLOAD_CAP_BYTES_PER_SEC,
} from './constants.ts';

const MiB = 1024 * 1024;

export interface MiningSettings {
  enabled: boolean;
  /** Most bytes of disk the mined swarms may hold together. */
  diskBudgetBytes: number;
  /** Upload rate the glue allows mined torrents, together. */
  uploadCapBytesPerSec: number;
  /** Most tokens (bytes) mining may spend before earning them back, over its whole life. */
  investmentLimit: bigint;
}

export const DEFAULT_MINING_SETTINGS: MiningSettings = {
  /** Off until the user turns it on: mining spends tokens. */
  enabled: false,
  /** 4 GiB: a handful of typical swarms, well inside a desktop browser's storage quota. */
  diskBudgetBytes: 4096 * MiB,
  /** 1 MiB/s: a modest share of a home uplink, so the user's own traffic is not starved. */
  uploadCapBytesPerSec: 1 * MiB,
  /**
   * 256 MiB: one or two swarms' worth; half the default sharing threshold (−512 MiB), so a fresh
   * peer that loses it all is still served by seeders with default settings.
   */
  investmentLimit: 256n * BigInt(MiB),
};

export class MiningSettingsError extends Error {
  override name = 'MiningSettingsError';
}

const mib = (n: number | bigint): string => `${(Number(n) / MiB).toLocaleString('en')} MiB`;

/** Checks settings a user typed; throws MiningSettingsError saying which value is wrong and what fits. */
export function validateMiningSettings(s: MiningSettings): MiningSettings {
  if (typeof s.enabled !== 'boolean') throw new MiningSettingsError('Mining must be switched on or off.');
  if (!Number.isSafeInteger(s.diskBudgetBytes) || s.diskBudgetBytes < MIN_DISK_BUDGET_BYTES || s.diskBudgetBytes > MAX_DISK_BUDGET_BYTES)
    throw new MiningSettingsError(`The disk budget must be between ${mib(MIN_DISK_BUDGET_BYTES)} and ${mib(MAX_DISK_BUDGET_BYTES)}.`);
  if (!Number.isSafeInteger(s.uploadCapBytesPerSec) || s.uploadCapBytesPerSec < MIN_UPLOAD_CAP_BYTES_PER_SEC || s.uploadCapBytesPerSec > MAX_UPLOAD_CAP_BYTES_PER_SEC)
    throw new MiningSettingsError(`The upload cap must be between 16 KiB/s and ${mib(MAX_UPLOAD_CAP_BYTES_PER_SEC)}/s.`);
  if (typeof s.investmentLimit !== 'bigint' || s.investmentLimit < MIN_INVESTMENT_BYTES || s.investmentLimit > MAX_INVESTMENT_BYTES)
    throw new MiningSettingsError(`The investment limit must be between ${mib(MIN_INVESTMENT_BYTES)} and ${mib(MAX_INVESTMENT_BYTES)} of tokens.`);
  return s;
}

export function serializeMiningSettings(s: MiningSettings): string {
  const v = validateMiningSettings(s);
  return JSON.stringify({ ...v, investmentLimit: v.investmentLimit.toString() });
}

/** Saved settings, or the defaults where nothing valid is saved (a bad save never switches mining on). */
export function parseMiningSettings(raw: string | null): MiningSettings {
  if (raw === null) return DEFAULT_MINING_SETTINGS;
  try {
    const o = JSON.parse(raw) as Partial<Record<keyof MiningSettings, unknown>>;
    if (o.investmentLimit !== undefined && !(typeof o.investmentLimit === 'string' && /^[0-9]{1,20}$/.test(o.investmentLimit))) return DEFAULT_MINING_SETTINGS;
    const limit = o.investmentLimit === undefined ? DEFAULT_MINING_SETTINGS.investmentLimit : BigInt(o.investmentLimit);
    return validateMiningSettings({ ...DEFAULT_MINING_SETTINGS, ...(o as Partial<MiningSettings>), investmentLimit: limit });
  } catch {
    return DEFAULT_MINING_SETTINGS;
  }
}
