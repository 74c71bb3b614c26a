import { describe, expect, it } from 'vitest';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519, verifyEd25519 } from '../crypto/signature.ts';
import { ANNOUNCEMENT_MAX_SKEW_MS, ANNOUNCEMENT_TTL_MS } from './constants.ts';
import { ANNOUNCEMENT_FLAGS_OFFSET, decodeAnnouncementFrame, encodeAnnouncementFrame, FLAG_EXIT, type RelayAnnouncement } from './relay-announcement-wire.ts';
import { judgeAnnouncement, RelayDirectory, signAnnouncement } from './relay-directory.ts';
import { GossipScores, offerScored } from '../net/gossip-scores.ts';

const seed = (n: number) => new Uint8Array(32).fill(n);
const T0 = 1_800_000_000_000;

function setUp(maxKnown?: number, trusted: ReadonlyMap<number, number> = new Map()) {
  const clock = { t: T0 };
  const fraudsters = new Set<number>();
  const seedOf = (k: Uint8Array, among: Iterable<number>): number | undefined => [...among].find((n) => publicKeyFromSeed(seed(n)).every((b, i) => b === k[i]));
  const fraudster = (k: Uint8Array): boolean => seedOf(k, fraudsters) !== undefined;
  const trust = (k: Uint8Array): number | undefined => trusted.get(seedOf(k, trusted.keys()) ?? -1);
  const dir = new RelayDirectory({ now: () => clock.t, verify: verifyEd25519, fraudster, trust, ...(maxKnown === undefined ? {} : { maxKnown }) });
  const announce = (n: number, at = clock.t, relaying = true, exit = false): Promise<RelayAnnouncement> =>
    signAnnouncement({ publicKey: publicKeyFromSeed(seed(n)), issuedAt: BigInt(at), relaying, exit, capKiBps: 0 }, (m) => signEd25519(seed(n), m));
  return { clock, dir, announce, fraudsters };
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

  it('counts a forged announcement against the neighbour that sent it, never an expired or future one (clock skew): three forged mute it', async () => {
    const { dir, announce } = setUp();
    const scores = new GossipScores(() => T0);
    const a = await announce(1);
    const late = [await announce(2, T0 - ANNOUNCEMENT_TTL_MS), await announce(3, T0 + ANNOUNCEMENT_MAX_SKEW_MS + 1)];
    const take = (from: string, as: RelayAnnouncement[]) => offerScored(scores, from, as, (x) => dir.offer(x), judgeAnnouncement);
    for (let i = 0; i < 5; i++) expect(take('skewed', late)).toEqual([]);
    expect(scores.isMuted('skewed')).toBe(false);
    expect(take('forger', [{ ...a, capKiBps: 5 }, { ...a, capKiBps: 6 }, { ...a, capKiBps: 7 }])).toEqual([]);
    expect(take('forger', [a])).toEqual([]);
    expect(dir.size).toBe(0);
    expect(take('skewed', [a])).toEqual([a]);
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

  it('when full, drops the least trusted first: a flood of fresh keys displaces no relay I trust, and what it cannot place is not passed on', async () => {
    const { dir, announce } = setUp(3, new Map([[1, 0.2], [2, 0.05]]));
    expect(dir.offer(await announce(1, T0 - 10))).toBe('new');
    expect(dir.offer(await announce(2, T0 - 9))).toBe('new');
    for (let n = 10; n < 60; n++) dir.offer(await announce(n, T0 + n));
    expect(dir.size).toBe(3);
    // The trusted relays stay, though older than every flooder; among the untrusted, the newest stays.
    expect(dir.isRelay(publicKeyFromSeed(seed(1)))).toBe(true);
    expect(dir.isRelay(publicKeyFromSeed(seed(2)))).toBe(true);
    expect(dir.isRelay(publicKeyFromSeed(seed(59)))).toBe(true);
    // Full of relays trusted more: an untrusted announcement older than the one kept is neither kept nor passed on.
    expect(dir.offer(await announce(70, T0 + 1))).toBe('crowded');
    expect(dir.isRelay(publicKeyFromSeed(seed(70)))).toBe(false);
  });

  it('lists as exits only fresh relays whose latest announcement sets the exit flag', async () => {
    const { dir, announce, clock } = setUp();
    dir.offer(await announce(1, T0, true, true));
    dir.offer(await announce(2, T0, true, false));
    dir.offer(await announce(3, T0, true, true));
    expect(dir.exits().map((a) => a.publicKey)).toEqual([publicKeyFromSeed(seed(1)), publicKeyFromSeed(seed(3))]);
    expect(dir.isExit(publicKeyFromSeed(seed(2)))).toBe(false);
    // Relay 1 stops exiting, relay 3 withdraws: neither exits any more.
    dir.offer(await announce(1, T0 + 1, true, false));
    dir.offer(await announce(3, T0 + 1, false, false));
    expect(dir.exits()).toEqual([]);
    expect(dir.isRelay(publicKeyFromSeed(seed(1)))).toBe(true);
    dir.offer(await announce(4, T0 + 1, true, true));
    expect(dir.isExit(publicKeyFromSeed(seed(4)))).toBe(true);
    clock.t += ANNOUNCEMENT_TTL_MS + 1;
    expect(dir.isExit(publicKeyFromSeed(seed(4)))).toBe(false);
    expect(dir.exits()).toEqual([]);
  });

  it('never offers a proven fraudster as a relay or an exit, whatever it announces', async () => {
    const { dir, announce, fraudsters } = setUp();
    dir.offer(await announce(1, T0, true, true));
    expect(dir.isExit(publicKeyFromSeed(seed(1)))).toBe(true);
    fraudsters.add(1);
    expect(dir.isExit(publicKeyFromSeed(seed(1)))).toBe(false);
    expect(dir.isRelay(publicKeyFromSeed(seed(1)))).toBe(false);
    expect(dir.exits()).toEqual([]);
    expect(dir.relays()).toEqual([]);
  });

  it('refuses an announcement whose exit flag was flipped after signing, either way', async () => {
    const { dir, announce } = setUp();
    const plain = await announce(1);
    expect(dir.offer({ ...plain, exit: true })).toBe('bad-signature');
    const exit = await announce(2, T0, true, true);
    expect(dir.offer({ ...exit, exit: false })).toBe('bad-signature');
    // The same through the wire: the bit flipped in the encoded frame decodes, then fails the signature.
    const frame = encodeAnnouncementFrame({ replyWanted: false, announcements: [plain] });
    frame[2 + ANNOUNCEMENT_FLAGS_OFFSET]! ^= FLAG_EXIT;
    const tampered = decodeAnnouncementFrame(frame).announcements[0]!;
    expect(tampered.exit).toBe(true);
    expect(dir.offer(tampered)).toBe('bad-signature');
    expect(dir.exits()).toEqual([]);
    expect(dir.offer(plain)).toBe('new');
  });
});
