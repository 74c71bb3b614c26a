import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519, verifyEd25519 } from '../crypto/signature.ts';
import { ANNOUNCEMENT_MAX_SKEW_MS, ANNOUNCEMENT_TTL_MS } from './constants.ts';
import type { RelayAnnouncement } from './relay-announcement-wire.ts';
import { RelayDirectory, signAnnouncement } from './relay-directory.ts';

const seed = (n: number) => new Uint8Array(32).fill(n);
const T0 = 1_800_000_000_000;

function setUp(maxKnown?: number) {
  const clock = { t: T0 };
  const dir = new RelayDirectory({ now: () => clock.t, verify: verifyEd25519, ...(maxKnown === undefined ? {} : { maxKnown }) });
  const announce = (n: number, at = clock.t, relaying = true): Promise<RelayAnnouncement> =>
    signAnnouncement({ publicKey: publicKeyFromSeed(seed(n)), issuedAt: BigInt(at), relaying, capKiBps: 0 }, (m) => signEd25519(seed(n), m));
  return { clock, dir, announce };
}

describe('relay directory', () => {
  it('keeps a valid announcement as a relay, and only a newer one replaces it', async () => {
    const { dir, announce } = setUp();
    const first = await announce(1);
    expect(dir.offer(first)).toBe('new');
    expect(dir.offer(first)).toBe('known');
    expect(dir.isRelay(first.publicKey)).toBe(true);
    expect(dir.offer(await announce(1, T0 - 1))).toBe('stale');
    expect(dir.offer(await announce(1, T0 + 1, false))).toBe('new');
    expect(dir.isRelay(first.publicKey)).toBe(false);
    expect(dir.relays()).toHaveLength(0);
    expect(dir.forGossip().map((a) => a.relaying)).toEqual([false]);
  });

  it('refuses forged, altered, expired and future-dated announcements', async () => {
    const { dir, announce } = setUp();
    const a = await announce(1);
    expect(dir.offer({ ...a, publicKey: publicKeyFromSeed(seed(2)) })).toBe('bad-signature');
    expect(dir.offer({ ...a, capKiBps: 5 })).toBe('bad-signature');
    expect(dir.offer({ ...a, issuedAt: a.issuedAt + 1n })).toBe('bad-signature');
    expect(dir.offer(await announce(1, T0 - ANNOUNCEMENT_TTL_MS))).toBe('expired');
    expect(dir.offer(await announce(1, T0 + ANNOUNCEMENT_MAX_SKEW_MS + 1))).toBe('future');
    expect(dir.size).toBe(0);
  });

  it('forgets a relay once its announcement expires', async () => {
    const { dir, announce, clock } = setUp();
    const a = await announce(1);
    dir.offer(a);
    clock.t += ANNOUNCEMENT_TTL_MS;
    expect(dir.isRelay(a.publicKey)).toBe(false);
    expect(dir.forGossip()).toHaveLength(0);
  });

  it('holds at most its bound, dropping the oldest announcements', async () => {
    const { dir, announce } = setUp(2);
    dir.offer(await announce(1, T0 - 2));
    dir.offer(await announce(2, T0 - 1));
    dir.offer(await announce(3, T0));
    expect(dir.size).toBe(2);
    expect(dir.isRelay(publicKeyFromSeed(seed(1)))).toBe(false);
    expect(dir.forGossip().map((x) => x.issuedAt)).toEqual([BigInt(T0), BigInt(T0 - 1)]);
  });
});
