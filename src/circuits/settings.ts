/** The user's relay settings: parsing and validation (pure), kept in localStorage. */
const KEY = 'trustmesh.relaying';
/** Largest cap a user can type, KiB/s (~10 GB/s): beyond any link, and well inside a u32 on the wire. */
const MAX_CAP_KIBPS = 10_000_000;

export interface RelaySettings {
  /** Relay circuits for other peers (and earn tokens for it). */
  relaying: boolean;
  /** Upload cap for relayed traffic in KiB/s; 0 for none. */
  capKiBps: number;
  /**
   * Exit: join public swarms on a circuit's behalf, so our address is the one
   * the swarm and the tracker see. Off unless the user turns it on; only with relaying.
   */
  exit: boolean;
  /** Upload cap for what we send to swarm peers as an exit, KiB/s; 0 for none (the relay cap still applies to circuits). */
  exitCapKiBps: number;
}

export const DEFAULT_RELAY_SETTINGS: RelaySettings = { relaying: true, capKiBps: 0, exit: false, exitCapKiBps: 0 };

export class RelaySettingsError extends Error {
  override name = 'RelaySettingsError';
}

function validCap(cap: unknown): boolean {
  return Number.isInteger(cap) && (cap as number) >= 0 && (cap as number) <= MAX_CAP_KIBPS;
}

export function validateRelaySettings(s: RelaySettings): RelaySettings {
  if (typeof s.relaying !== 'boolean') throw new RelaySettingsError('Relaying is either on or off.');
  if (typeof s.exit !== 'boolean') throw new RelaySettingsError('Exiting is either on or off.');
  if (!validCap(s.capKiBps)) throw new RelaySettingsError(`The upload cap must be a whole number of KiB/s from 0 (no cap) to ${MAX_CAP_KIBPS.toLocaleString('en')}.`);
  if (!validCap(s.exitCapKiBps)) throw new RelaySettingsError(`The exit upload cap must be a whole number of KiB/s from 0 (no cap) to ${MAX_CAP_KIBPS.toLocaleString('en')}.`);
  if (s.exit && !s.relaying) throw new RelaySettingsError('An exit is the last relay of a circuit, so exiting needs relaying: turn relaying on, or exiting off.');
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
