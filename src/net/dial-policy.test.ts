import { describe, expect, it } from 'vitest';
import { decideDial, DIAL_POLICY, type DialFacts } from './dial-policy.ts';

const base: DialFacts = {
  self: 'A',
  peer: 'B',
  now: 10_000,
  firstSeenAt: 10_000,
  hasDirectConnection: false,
  dialInProgress: false,
  directPeerCount: 0,
  hasWebRtcAddress: true,
  failures: 0,
  random: () => 0.5,
};

describe('decideDial', () => {
  it('skips self, connected, dialing, unreachable and full', () => {
    expect(decideDial({ ...base, peer: 'A' })).toEqual({ action: 'skip', reason: 'self' });
    expect(decideDial({ ...base, hasDirectConnection: true })).toEqual({ action: 'skip', reason: 'connected' });
    expect(decideDial({ ...base, dialInProgress: true })).toEqual({ action: 'skip', reason: 'dialing' });
    expect(decideDial({ ...base, hasWebRtcAddress: false })).toEqual({ action: 'skip', reason: 'no-address' });
    expect(decideDial({ ...base, directPeerCount: DIAL_POLICY.maxDirectPeers })).toEqual({ action: 'skip', reason: 'full' });
  });

  it('lets the smaller id dial at once', () => {
    expect(decideDial(base)).toEqual({ action: 'dial' });
  });

  it('makes the larger id wait the grace period, then dial', () => {
    const larger = { ...base, self: 'Z' };
    expect(decideDial(larger)).toEqual({ action: 'wait', untilMs: base.firstSeenAt + DIAL_POLICY.tieBreakGraceMs });
    expect(decideDial({ ...larger, now: base.firstSeenAt + DIAL_POLICY.tieBreakGraceMs })).toEqual({ action: 'dial' });
  });

  it('backs off after failures', () => {
    const failed = { ...base, failures: 2, lastFailureAt: 10_000 };
    const d = decideDial(failed);
    expect(d.action).toBe('wait');
    if (d.action === 'wait') {
      expect(d.untilMs).toBe(10_000 + 4_000); // second retry: 2 s doubled, no jitter at 0.5
      expect(decideDial({ ...failed, now: d.untilMs })).toEqual({ action: 'dial' });
    }
  });
});
