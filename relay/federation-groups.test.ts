/**
 * Relays met through the DHT are first come: someone who starts many relays on one host, block or
 * domain that answer first would otherwise take every place we give learned relays, and their
 * samples would make up half of what our tabs hear from us. At most LEARNED_RELAYS_PER_GROUP of them
 * share a network. Driven on a stand-in node that dispatches identify events and dials as told.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Libp2p } from 'libp2p';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { federate, LEARNED_RELAYS_PER_GROUP, LEARNED_RELAY_ATTEMPTS, type Federation } from './federation.ts';
import { RELAY_DHT_PROTOCOL } from './relay-dht.ts';

const newPeerId = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'));

describe('the relays we federate with are spread over networks', () => {
  let node: EventTarget & { peerId: PeerId; dial(ma: Multiaddr): Promise<never> };
  let federation: Federation | undefined;
  /** Hosts whose dials fail at once; every other dial stays pending (nothing here needs a connection). */
  let failing: Set<string>;
  const lines: string[] = [];
  /** Relays we took a place for, by host, in the order taken. */
  const taken = (): string[] => lines.flatMap((l) => /^met relay \/dns4\/([^/]+)\//.exec(l)?.[1] ?? []);
  const meet = async (host: string): Promise<void> => {
    const listenAddrs = [multiaddr(`/dns4/${host}/tcp/443/wss`)];
    node.dispatchEvent(new CustomEvent('peer:identify', { detail: { peerId: await newPeerId(), protocols: [RELAY_DHT_PROTOCOL], listenAddrs } }));
  };
  const start = (learnedRelays: number): void => {
    federation = federate(node as unknown as Libp2p, [], (m) => void lines.push(m), () => 0.5, { learnedRelays, privateAddresses: false, lookUpSelf: async () => undefined });
  };

  beforeEach(async () => {
    lines.length = 0;
    failing = new Set();
    const dial = (ma: Multiaddr): Promise<never> => {
      const host = ma.getComponents().find((c) => c.name === 'dns4')?.value ?? '';
      return failing.has(host) ? Promise.reject(new Error('connection refused')) : new Promise<never>(() => undefined);
    };
    node = Object.assign(new EventTarget(), { peerId: await newPeerId(), dial });
    vi.useFakeTimers();
  });
  afterEach(() => {
    federation?.stop();
    vi.useRealTimers();
  });

  it('ten relays under one domain, met first, take LEARNED_RELAYS_PER_GROUP places; relays elsewhere, met after them, the rest', async () => {
    start(8);
    for (let i = 0; i < 10; i++) await meet(`r${i}.sybil.example`);
    for (const host of ['relay.one.example', 'relay.two.example', 'relay.three.example']) await meet(host);
    const sybils = Array.from({ length: LEARNED_RELAYS_PER_GROUP }, (_, i) => `r${i}.sybil.example`);
    expect(taken()).toEqual([...sybils, 'relay.one.example', 'relay.two.example', 'relay.three.example']);
  });

  it('a place freed by a relay that left goes to the newest relay met in a network with room, not to one of a full network', async () => {
    start(3);
    failing.add('b.beta.example');
    for (const host of ['a1.alpha.example', 'a2.alpha.example', 'b.beta.example', 'c.gamma.example', 'a3.alpha.example']) await meet(host);
    expect(taken()).toEqual(['a1.alpha.example', 'a2.alpha.example', 'b.beta.example']);
    // b fails LEARNED_RELAY_ATTEMPTS dials in a row (each retry after a backoff) and is forgotten.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(lines.filter((l) => l.startsWith('cannot reach relay /dns4/b.beta.example'))).toHaveLength(LEARNED_RELAY_ATTEMPTS);
    // a3 was met last, but alpha holds its two places: c takes the free one.
    expect(taken()).toEqual(['a1.alpha.example', 'a2.alpha.example', 'b.beta.example', 'c.gamma.example']);
  });
});
