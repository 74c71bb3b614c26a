/** The user's relay settings: parsing and validation (pure), kept in localStorage. */
const KEY = 'trustmesh.relaying';

export interface RelaySettings {
  /** Relay circuits for other peers (and earn tokens for it). */
  relaying: boolean;
  /** Upload cap for relayed traffic in KiB/s; 0 for none. */
  capKiBps: number;
}

export const DEFAULT_RELAY_SETTINGS: RelaySettings = { relaying: true, capKiBps: 0 };

export class RelaySettingsError extends Error {
  override name = 'RelaySettingsError';
}

export function validateRelaySettings(s: RelaySettings): RelaySettings {
  if (typeof s.relaying !== 'boolean') throw new RelaySettingsError('Relaying is either on or off.');
  if (!Number.isInteger(s.capKiBps) || s.capKiBps < 0 || s.capKiBps > 10_000_000) throw new RelaySettingsError('The upload cap must be a whole number of KiB/s from 0 (no cap) to 10,000,000.');
  return s;
}

export function parseRelaySettings(raw: string | null): RelaySettings {
  if (raw === null) return DEFAULT_RELAY_SETTINGS;
  // Earlier versions stored only "on" or "off".
  if (raw === 'on' || raw === 'off') return { ...DEFAULT_RELAY_SETTINGS, relaying: raw === 'on' };
  try {
    return validateRelaySettings({ ...DEFAULT_RELAY_SETTINGS, ...(JSON.parse(raw) as Partial<RelaySettings>) });
  } catch {
    return DEFAULT_RELAY_SETTINGS;
  }
}

export function loadRelaySettings(storage: Pick<Storage, 'getItem'> = localStorage): RelaySettings {
  return parseRelaySettings(storage.getItem(KEY));
}

export function saveRelaySettings(s: RelaySettings, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(KEY, JSON.stringify(validateRelaySettings(s)));
}
