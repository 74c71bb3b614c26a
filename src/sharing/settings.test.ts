import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from './constants.ts';
import { DEFAULT_SETTINGS, loadSettings, parseSettings, saveSettings, SettingsError, toPolicy, validateSettings } from './settings.ts';

describe('policy settings', () => {
  it('default to the policy defaults', () => {
    expect(toPolicy(DEFAULT_SETTINGS)).toEqual(DEFAULT_POLICY);
  });

  it('convert MiB and percent into the policy', () => {
    const p = toPolicy({ thresholdMiB: -2, newcomerPercent: 50, uploadSlots: 4, stockPeers: 'refuse' });
    expect(p).toMatchObject({ thresholdBytes: -2n * 1024n * 1024n, newcomerShare: 0.5, uploadSlots: 4, stockPeers: 'refuse' });
  });

  it('refuse values that do not fit, saying what fits', () => {
    expect(() => validateSettings({ ...DEFAULT_SETTINGS, newcomerPercent: 101 })).toThrow(SettingsError);
    expect(() => validateSettings({ ...DEFAULT_SETTINGS, uploadSlots: 0 })).toThrow(/1 to 64/);
    expect(() => validateSettings({ ...DEFAULT_SETTINGS, thresholdMiB: 1.5 })).toThrow(/whole number/);
  });

  it('survive a round trip and fall back to defaults on damage', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    saveSettings({ ...DEFAULT_SETTINGS, thresholdMiB: 7 }, storage);
    expect(loadSettings(storage).thresholdMiB).toBe(7);
    expect(parseSettings('not json')).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings('{"uploadSlots":-1}')).toEqual(DEFAULT_SETTINGS);
  });
});
