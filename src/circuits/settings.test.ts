import { describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_SETTINGS, loadRelaySettings, parseRelaySettings, RelaySettingsError, saveRelaySettings, validateRelaySettings } from './settings.ts';

function memoryStorage() {
  const store = new Map<string, string>();
  return { setItem: (k: string, v: string) => void store.set(k, v), getItem: (k: string) => store.get(k) ?? null };
}

describe('relay settings', () => {
  it('default to relaying without a cap and without exiting, and survive garbage in storage', () => {
    expect(parseRelaySettings(null)).toEqual(DEFAULT_RELAY_SETTINGS);
    expect(DEFAULT_RELAY_SETTINGS.exit).toBe(false);
    expect(parseRelaySettings('{not json')).toEqual(DEFAULT_RELAY_SETTINGS);
    expect(parseRelaySettings('off')).toEqual({ ...DEFAULT_RELAY_SETTINGS, relaying: false });
    // Settings saved before exits existed keep their values and do not exit.
    expect(parseRelaySettings(JSON.stringify({ relaying: false, capKiBps: 512 }))).toEqual({ ...DEFAULT_RELAY_SETTINGS, relaying: false, capKiBps: 512 });
  });

  it('refuse caps that are not whole, non-negative KiB/s, saying what fits', () => {
    expect(() => validateRelaySettings({ ...DEFAULT_RELAY_SETTINGS, capKiBps: -1 })).toThrow(RelaySettingsError);
    expect(() => validateRelaySettings({ ...DEFAULT_RELAY_SETTINGS, capKiBps: 1.5 })).toThrow(/whole number/);
    expect(() => validateRelaySettings({ ...DEFAULT_RELAY_SETTINGS, exitCapKiBps: -5 })).toThrow(/exit upload cap/);
    const storage = memoryStorage();
    saveRelaySettings({ ...DEFAULT_RELAY_SETTINGS, capKiBps: 100 }, storage);
    expect(loadRelaySettings(storage)).toEqual({ ...DEFAULT_RELAY_SETTINGS, capKiBps: 100 });
  });

  it('persist exiting and its cap, and refuse exiting without relaying', () => {
    const storage = memoryStorage();
    const exit = { relaying: true, capKiBps: 0, exit: true, exitCapKiBps: 256 };
    saveRelaySettings(exit, storage);
    expect(loadRelaySettings(storage)).toEqual(exit);
    expect(() => saveRelaySettings({ ...exit, relaying: false }, storage)).toThrow(/exiting needs relaying/);
    expect(loadRelaySettings(storage)).toEqual(exit);
    // A stored exit without relaying (edited by hand) is not trusted: the defaults apply, which do not exit.
    expect(parseRelaySettings(JSON.stringify({ ...exit, relaying: false }))).toEqual(DEFAULT_RELAY_SETTINGS);
    expect(parseRelaySettings(JSON.stringify({ ...exit, exit: 'yes' }))).toEqual(DEFAULT_RELAY_SETTINGS);
  });
});
