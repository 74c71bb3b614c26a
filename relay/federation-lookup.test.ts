/**
 * A relay looks itself up in the relays' DHT again after it meets a relay (SELF_LOOKUP_BACKOFF):
 * two relays that reach a third at once may each look themselves up before the third holds the
 * other (kad-dht pings a new contact before taking it in), and met only at kad-dht's next
 * self-query, 5 minutes on (the relays e2e caught it). The rule is timed, so it is driven here
 * with fake timers on a stand-in node that only dispatches identify events.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Libp2p } from 'libp2p';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import { federate, SELF_LOOKUP_BACKOFF, type Federation } from './federation.ts';
import { RELAY_DHT_PROTOCOL } from './relay-dht.ts';

const newPeerId = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'));

describe('looking ourselves up again after meeting a relay', () => {
  let node: EventTarget & { peerId: PeerId };
  let federation: Federation | undefined;
  let lookups: { resolve: () => void; reject: (e: Error) => void }[];
  const lines: string[] = [];
  const lookUpSelf = (): Promise<void> => new Promise((resolve, reject) => void lookups.push({ resolve, reject }));
  // The relay identifies a peer that speaks the relays' DHT protocol, with no address tabs could dial (so none is dialled).
  const meet = (peerId: PeerId): void => void node.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId, protocols: [RELAY_DHT_PROTOCOL], listenAddrs: [] } }));
  const start = (learnedRelays: number): void => {
    // random 0.5: no jitter, each wait is the policy's own.
    federation = federate(node as unknown as Libp2p, [], (m) => void lines.push(m), () => 0.5, { learnedRelays, privateAddresses: true, lookUpSelf });
  };

  beforeEach(async () => {
    lookups = [];
    lines.length = 0;
    node = Object.assign(new EventTarget(), { peerId: await newPeerId() });
    vi.useFakeTimers();
  });
  afterEach(() => {
    federation?.stop();
    vi.useRealTimers();
  });

  it('once for relays met together, SELF_LOOKUP_BACKOFF after the first, then at growing gaps', async () => {
    start(8);
    meet(await newPeerId());
    meet(await newPeerId());
    await vi.advanceTimersByTimeAsync(SELF_LOOKUP_BACKOFF.initialMs - 1);
    expect(lookups).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(lookups).toHaveLength(1);
    // A relay met while the lookup walks starts no other: the walk is what meets the nearest relays.
    meet(await newPeerId());
    lookups[0]!.resolve();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(lookups).toHaveLength(1);

    meet(await newPeerId());
    const second = SELF_LOOKUP_BACKOFF.initialMs * SELF_LOOKUP_BACKOFF.factor;
    await vi.advanceTimersByTimeAsync(second - 1);
    expect(lookups).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(lookups).toHaveLength(2);
  });

  it('a stream of newcomers claiming the protocol makes us walk no more often than the growing gaps, at most every 5 minutes', async () => {
    start(8);
    const hour = 60 * 60_000;
    for (let t = 0; t < hour; t += 1_000) {
      meet(await newPeerId());
      await vi.advanceTimersByTimeAsync(1_000);
      lookups.at(-1)?.resolve();
    }
    // Gaps of 2, 4, 8 ... 256 s, then 300 s: 8 lookups in the first 510 s, and one per 5 minutes after.
    expect(lookups.length).toBeLessThanOrEqual(8 + Math.ceil((hour - 510_000) / SELF_LOOKUP_BACKOFF.maxMs));
    expect(lookups.length).toBeGreaterThan(8);
  });

  it('none for a relay seen again, nor once every learned place is taken', async () => {
    start(8);
    const known = await newPeerId();
    meet(known);
    await vi.advanceTimersByTimeAsync(SELF_LOOKUP_BACKOFF.initialMs);
    lookups[0]!.resolve();
    meet(known);
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(lookups).toHaveLength(1);

    federation!.stop();
    start(0);
    meet(await newPeerId());
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(lookups).toHaveLength(1);
  });

  it('a failed lookup is logged, and the next relay met starts another', async () => {
    start(8);
    meet(await newPeerId());
    await vi.advanceTimersByTimeAsync(SELF_LOOKUP_BACKOFF.initialMs);
    lookups[0]!.reject(new Error('query aborted'));
    await vi.advanceTimersByTimeAsync(0);
    expect(lines).toContain('looking ourselves up in the relays\' DHT failed: query aborted');
    meet(await newPeerId());
    await vi.advanceTimersByTimeAsync(SELF_LOOKUP_BACKOFF.initialMs * SELF_LOOKUP_BACKOFF.factor);
    expect(lookups).toHaveLength(2);
  });
});
