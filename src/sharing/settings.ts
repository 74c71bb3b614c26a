/** The user's free-riding policy settings: parsing and validation (pure), kept in localStorage. */
import { DEFAULT_POLICY, type PolicyConfig } from './constants.ts';

const MiB = 1024n * 1024n;
const KEY = 'trustmesh.policy';

export interface PolicySettings {
  /** Threshold in MiB: peers below this balance are refused (negative: what a newcomer may take). */
  thresholdMiB: number;
  /** Percent of upload slots for newcomers. */
  newcomerPercent: number;
  uploadSlots: number;
  stockPeers: 'serve' | 'refuse';
}

export const DEFAULT_SETTINGS: PolicySettings = {
  thresholdMiB: Number(DEFAULT_POLICY.thresholdBytes / MiB),
  newcomerPercent: Math.round(DEFAULT_POLICY.newcomerShare * 100),
  uploadSlots: DEFAULT_POLICY.uploadSlots,
  stockPeers: DEFAULT_POLICY.stockPeers,
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Checks settings a user typed; throws SettingsError saying which value is wrong and what fits. */
export function validateSettings(s: PolicySettings): PolicySettings {
  if (!Number.isInteger(s.thresholdMiB) || Math.abs(s.thresholdMiB) > 1_000_000) throw new SettingsError('The threshold must be a whole number of MiB between −1,000,000 and 1,000,000.');
  if (!Number.isInteger(s.newcomerPercent) || s.newcomerPercent < 0 || s.newcomerPercent > 100) throw new SettingsError('The newcomer share must be a whole percentage from 0 to 100.');
  if (!Number.isInteger(s.uploadSlots) || s.uploadSlots < 1 || s.uploadSlots > 64) throw new SettingsError('Upload slots must be a whole number from 1 to 64.');
  if (s.stockPeers !== 'serve' && s.stockPeers !== 'refuse') throw new SettingsError('Stock peers must be served or refused.');
  return s;
}

export function toPolicy(s: PolicySettings): PolicyConfig {
  return { ...DEFAULT_POLICY, thresholdBytes: BigInt(s.thresholdMiB) * MiB, newcomerShare: s.newcomerPercent / 100, uploadSlots: s.uploadSlots, stockPeers: s.stockPeers };
}

/** Saved settings, or defaults where nothing valid is saved. */
export function parseSettings(raw: string | null): PolicySettings {
  if (raw === null) return DEFAULT_SETTINGS;
  try {
    return validateSettings({ ...DEFAULT_SETTINGS, ...(JSON.parse(raw) as Partial<PolicySettings>) });
  } catch {
    return DEFAULT_SETTINGS;
  }
}

export function loadSettings(storage: Pick<Storage, 'getItem'> = localStorage): PolicySettings {
  return parseSettings(storage.getItem(KEY));
}

export function saveSettings(s: PolicySettings, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(KEY, JSON.stringify(validateSettings(s)));
}
