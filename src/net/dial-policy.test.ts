import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';
import { decideDial, DIAL_POLICY, type DialFacts } from './dial-policy.ts';

const GRACE = DIAL_POLICY.tieBreakGraceMs;
const T0 = 100_000;

/** A fresh, dialable peer seen just now, from the side with the smaller id. */
const base: DialFacts = {
  self: 'A',
  peer: 'B',
  now: T0,
  firstSeenAt: T0,
  hasDirectConnection: false,
  dialInProgress: false,
  directPeerCount: 0,
  hasWebRtcAddress: true,
  selfDialable: true,
  peerSignaling: false,
  peerDialing: false,
  failures: 0,
  random: () => 0.5,
};
const larger: DialFacts = { ...base, self: 'Z' };

describe('decideDial: skips', () => {
  it('skips itself', () => {
    expect(decideDial({ ...base, peer: base.self })).toEqual({ action: 'skip', reason: 'self' });
  });

  it('skips a peer it is already directly connected to', () => {
    expect(decideDial({ ...base, hasDirectConnection: true })).toEqual({ action: 'skip', reason: 'connected' });
  });

  it('skips a peer it is already dialing', () => {
    expect(decideDial({ ...base, dialInProgress: true })).toEqual({ action: 'skip', reason: 'dialing' });
  });

  it('skips a peer without a WebRTC address', () => {
    expect(decideDial({ ...base, hasWebRtcAddress: false })).toEqual({ action: 'skip', reason: 'no-address' });
  });

  it('skips when the direct-peer budget is used up, and not one peer earlier', () => {
    expect(decideDial({ ...base, directPeerCount: DIAL_POLICY.maxDirectPeers })).toEqual({ action: 'skip', reason: 'full' });
    expect(decideDial({ ...base, directPeerCount: DIAL_POLICY.maxDirectPeers + 5 })).toEqual({ action: 'skip', reason: 'full' });
    expect(decideDial({ ...base, directPeerCount: DIAL_POLICY.maxDirectPeers - 1 })).toEqual({ action: 'dial' });
  });

  it('checks in order: self, connected, dialing, no address, full, then backoff', () => {
    const everything: DialFacts = {
      ...larger, peer: larger.self, hasDirectConnection: true, dialInProgress: true, hasWebRtcAddress: false,
      directPeerCount: DIAL_POLICY.maxDirectPeers, failures: 3, lastFailureAt: T0,
    };
    expect(decideDial(everything)).toEqual({ action: 'skip', reason: 'self' });
    expect(decideDial({ ...everything, peer: 'B' })).toEqual({ action: 'skip', reason: 'connected' });
    expect(decideDial({ ...everything, peer: 'B', hasDirectConnection: false })).toEqual({ action: 'skip', reason: 'dialing' });
    expect(decideDial({ ...everything, peer: 'B', hasDirectConnection: false, dialInProgress: false })).toEqual({ action: 'skip', reason: 'no-address' });
    expect(decideDial({ ...everything, peer: 'B', hasDirectConnection: false, dialInProgress: false, hasWebRtcAddress: true })).toEqual({ action: 'skip', reason: 'full' });
    expect(decideDial({ ...everything, peer: 'B', hasDirectConnection: false, dialInProgress: false, hasWebRtcAddress: true, directPeerCount: 0 }).action).toBe('wait');
  });
});

describe('decideDial: tie-break between two peers that found each other', () => {
  it('lets the smaller id dial at once', () => {
    expect(decideDial(base)).toEqual({ action: 'dial' });
    expect(decideDial({ ...base, self: '12D3KooWA', peer: '12D3KooWB' })).toEqual({ action: 'dial' });
  });

  it('makes the larger id wait out the grace period from first sight, then dial', () => {
    expect(decideDial(larger)).toEqual({ action: 'wait', untilMs: T0 + GRACE });
    expect(decideDial({ ...larger, now: T0 + GRACE - 1 })).toEqual({ action: 'wait', untilMs: T0 + GRACE });
    expect(decideDial({ ...larger, now: T0 + GRACE })).toEqual({ action: 'dial' });
    expect(decideDial({ ...larger, now: T0 + 10 * GRACE })).toEqual({ action: 'dial' });
  });

  it('counts the grace from when the peer was first seen, not from now', () => {
    expect(decideDial({ ...larger, firstSeenAt: T0 - GRACE + 500 })).toEqual({ action: 'wait', untilMs: T0 + 500 });
  });

  it('gives exactly one of the two sides the immediate dial', () => {
    const a = decideDial({ ...base, self: 'peer-a', peer: 'peer-b' });
    const b = decideDial({ ...base, self: 'peer-b', peer: 'peer-a' });
    expect([a.action, b.action].sort()).toEqual(['dial', 'wait']);
  });
});

describe('decideDial: a newcomer, and a dial already under way', () => {
  it('dials at once, whatever the ids, while nobody can dial it yet', () => {
    // The peer with the smaller id learns of us only from our announcement, which needs our reservation.
    expect(decideDial({ ...larger, selfDialable: false })).toEqual({ action: 'dial' });
    expect(decideDial({ ...base, selfDialable: false })).toEqual({ action: 'dial' });
  });

  it('starts no second dial while a relayed connection with the peer is open, until the grace is over', () => {
    // The newcomer's dial reached us before its announcement did: we are the smaller id, and wait for it.
    expect(decideDial({ ...base, peerSignaling: true })).toEqual({ action: 'wait', untilMs: T0 + GRACE });
    expect(decideDial({ ...base, peerSignaling: true, selfDialable: false })).toEqual({ action: 'wait', untilMs: T0 + GRACE });
    // A signaling attempt that stalled does not hold the peer off for good.
    expect(decideDial({ ...base, peerSignaling: true, now: T0 + GRACE })).toEqual({ action: 'dial' });
  });

  it('never starts a dial while the peer is signaling one to us, however long it takes', () => {
    // A dial takes 4-10 s among six tabs starting at once on two cores: past the grace, both ends would have dialed.
    for (const f of [base, larger, { ...base, selfDialable: false }, { ...base, peerSignaling: true, now: T0 + 10 * GRACE }]) {
      expect(decideDial({ ...f, peerDialing: true })).toEqual({ action: 'skip', reason: 'peer-dialing' });
    }
  });

  it('still waits out a backoff, and still skips a peer it is already dialing', () => {
    expect(decideDial({ ...larger, selfDialable: false, failures: 1, lastFailureAt: T0 })).toEqual({ action: 'wait', untilMs: T0 + 2_000 });
    expect(decideDial({ ...larger, selfDialable: false, dialInProgress: true })).toEqual({ action: 'skip', reason: 'dialing' });
  });
});

describe('decideDial: backoff after failed dials', () => {
  const failedAt = T0;

  it('waits the backoff delay after the first failure, then dials', () => {
    const facts: DialFacts = { ...base, failures: 1, lastFailureAt: failedAt };
    // First retry: 2 s, no jitter at random 0.5.
    expect(decideDial(facts)).toEqual({ action: 'wait', untilMs: failedAt + 2_000 });
    expect(decideDial({ ...facts, now: failedAt + 1_999 })).toEqual({ action: 'wait', untilMs: failedAt + 2_000 });
    expect(decideDial({ ...facts, now: failedAt + 2_000 })).toEqual({ action: 'dial' });
  });

  it('waits longer after each failure, up to the cap', () => {
    const waitAfter = (failures: number): number => {
      const d = decideDial({ ...base, failures, lastFailureAt: failedAt });
      if (d.action !== 'wait') throw new Error(`expected wait, got ${d.action}`);
      return d.untilMs - failedAt;
    };
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(waitAfter)).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(DIAL_POLICY.backoff.maxMs).toBe(60_000);
  });

  it('applies jitter from the injected random source', () => {
    const at = (r: number): DialFacts => ({ ...base, failures: 2, lastFailureAt: failedAt, random: () => r });
    expect(decideDial(at(0))).toEqual({ action: 'wait', untilMs: failedAt + backoffDelay(1, () => 0, DIAL_POLICY.backoff) });
    expect(decideDial(at(0))).toEqual({ action: 'wait', untilMs: failedAt + 3_200 });
    expect(decideDial(at(0.999))).toEqual({ action: 'wait', untilMs: failedAt + 4_798 });
  });

  it('ignores the failure count when no failure time is recorded', () => {
    expect(decideDial({ ...base, failures: 5 })).toEqual({ action: 'dial' });
  });

  it('waits out both the backoff and the larger id\'s grace', () => {
    // Backoff (2 s) ends before the grace (4 s): wait for the backoff, then for the grace.
    const seenNow: DialFacts = { ...larger, failures: 1, lastFailureAt: T0 };
    expect(decideDial(seenNow)).toEqual({ action: 'wait', untilMs: T0 + 2_000 });
    expect(decideDial({ ...seenNow, now: T0 + 2_000 })).toEqual({ action: 'wait', untilMs: T0 + GRACE });
    // Grace long over, backoff pending: wait for the backoff.
    const seenLongAgo: DialFacts = { ...larger, firstSeenAt: 0, failures: 3, lastFailureAt: T0 };
    expect(decideDial(seenLongAgo)).toEqual({ action: 'wait', untilMs: T0 + 8_000 });
    expect(decideDial({ ...seenLongAgo, now: T0 + 8_000 })).toEqual({ action: 'dial' });
  });
});

describe('decideDial properties', () => {
  const facts: fc.Arbitrary<DialFacts> = fc.record({
    self: fc.constantFrom('A', 'M', 'Z'),
    peer: fc.constantFrom('A', 'M', 'Z'),
    now: fc.integer({ min: 0, max: 200_000 }),
    firstSeenAt: fc.integer({ min: 0, max: 200_000 }),
    hasDirectConnection: fc.boolean(),
    dialInProgress: fc.boolean(),
    directPeerCount: fc.integer({ min: 0, max: 40 }),
    hasWebRtcAddress: fc.boolean(),
    selfDialable: fc.boolean(),
    peerSignaling: fc.boolean(),
    peerDialing: fc.boolean(),
    lastFailureAt: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
    failures: fc.integer({ min: 0, max: 12 }),
    r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  }).map(({ r, ...f }) => ({ ...f, random: () => r }));

  it('only ever waits for a moment in the future, and dials only when every condition holds', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const d = decideDial(f);
        if (d.action === 'wait') expect(d.untilMs).toBeGreaterThan(f.now);
        if (d.action === 'dial') {
          expect(f.peer).not.toBe(f.self);
          expect(f.hasDirectConnection || f.dialInProgress || !f.hasWebRtcAddress).toBe(false);
          expect(f.directPeerCount).toBeLessThan(DIAL_POLICY.maxDirectPeers);
          if (f.lastFailureAt !== undefined) expect(f.now).toBeGreaterThanOrEqual(f.lastFailureAt + backoffDelay(f.failures - 1, f.random, DIAL_POLICY.backoff));
          // Only one side dials before the grace: the smaller id, or one that nobody can dial yet, and neither while a dial is being signaled.
          if ((f.self > f.peer && f.selfDialable) || f.peerSignaling) expect(f.now).toBeGreaterThanOrEqual(f.firstSeenAt + GRACE);
          // Never while the peer is dialing us, whatever the time.
          expect(f.peerDialing).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('once waiting, dials (or skips) when asked again at the time it named', () => {
    fc.assert(
      fc.property(facts, (f) => {
        let d = decideDial(f);
        for (let step = 0; step < 3 && d.action === 'wait'; step++) d = decideDial({ ...f, now: d.untilMs });
        expect(d.action).not.toBe('wait');
      }),
      { numRuns: 500 },
    );
  });
});
