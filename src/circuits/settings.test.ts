import { describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_SETTINGS, parseRelaySettings, RelaySettingsError, saveRelaySettings, validateRelaySettings } from './settings.ts';

describe('relay settings', () => {
  it('default to relaying without a cap, and survive garbage in storage', () => {
    expect(parseRelaySettings(null)).toEqual(DEFAULT_RELAY_SETTINGS);
    expect(parseRelaySettings('{not json')).toEqual(DEFAULT_RELAY_SETTINGS);
    expect(parseRelaySettings('off')).toEqual({ relaying: false, capKiBps: 0 });
    expect(parseRelaySettings(JSON.stringify({ relaying: false, capKiBps: 512 }))).toEqual({ relaying: false, capKiBps: 512 });
  });

  it('refuse caps that are not whole, non-negative KiB/s, saying what fits', () => {
    expect(() => validateRelaySettings({ relaying: true, capKiBps: -1 })).toThrow(RelaySettingsError);
    expect(() => validateRelaySettings({ relaying: true, capKiBps: 1.5 })).toThrow(/whole number/);
    const store = new Map<string, string>();
    saveRelaySettings({ relaying: true, capKiBps: 100 }, { setItem: (k, v) => store.set(k, v) });
    expect(parseRelaySettings(store.get('trustmesh.relaying')!)).toEqual({ relaying: true, capKiBps: 100 });
  });
});
