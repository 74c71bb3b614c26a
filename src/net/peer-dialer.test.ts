import { describe, expect, it } from 'vitest';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Connection } from '@libp2p/interface';
import { isWebRtcCircuitAddr, neighboursOf, peersByConnection, pexDialAddrs, relayGroup, WEBRTC_SIGNALING_PROTOCOL, webRtcViaRelay, withPeerId } from './peer-dialer.ts';

const R = '12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa';
const B = '12D3KooWGqt8g7yUq3MZyoAnsmhugrvT7tN4F7xJhiMm5zDAM6Ae';
const C = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq';
const base = `/ip4/127.0.0.1/tcp/9090/ws/p2p/${R}/p2p-circuit/webrtc`;

describe('dial addresses', () => {
  it('recognises WebRTC circuit addresses', () => {
    expect(isWebRtcCircuitAddr(multiaddr(base))).toBe(true);
    expect(isWebRtcCircuitAddr(multiaddr(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${R}`))).toBe(false);
  });

  it('ends every dial address with the target peer, never the relay', () => {
    expect(withPeerId(multiaddr(base), B).toString()).toBe(`${base}/p2p/${B}`);
    expect(withPeerId(multiaddr(`${base}/p2p/${B}`), B).toString()).toBe(`${base}/p2p/${B}`);
    // The relay's id alone must not be read as the target.
    expect(withPeerId(multiaddr(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${R}/p2p-circuit/webrtc/p2p/${R}`), B).toString()).toBe(`${base}/p2p/${B}`);
  });

  it('reaches a peer named by a relay through that relay, whether or not the relay address names it', () => {
    const relay = '/ip4/127.0.0.1/tcp/9090/ws';
    for (const at of [relay, `${relay}/p2p/${R}`]) {
      const addr = webRtcViaRelay(multiaddr(at), R, B);
      expect(addr.toString()).toBe(`${base}/p2p/${B}`);
      expect(isWebRtcCircuitAddr(addr)).toBe(true);
    }
  });

  it('reaches a peer a relay names only through that relay, whatever addresses the relay sends', () => {
    const relay = { addr: multiaddr('/ip4/127.0.0.1/tcp/9090/ws'), id: R };
    // A hostile relay points at another relay, or at a plain address: the tab still goes through the relay it asked.
    const elsewhere = [multiaddr(`/ip4/10.0.0.9/tcp/443/wss/p2p/${B}/p2p-circuit/webrtc/p2p/${B}`), multiaddr('/ip4/10.0.0.9/tcp/4001')];
    expect(pexDialAddrs(elsewhere, B, relay).map(String)).toEqual([`${base}/p2p/${B}`]);
    // A peer's answer keeps its WebRTC circuit addresses and drops the rest.
    expect(pexDialAddrs(elsewhere, B, undefined).map(String)).toEqual([elsewhere[0]!.toString()]);
  });

  it('reaches a peer a relay names at a federated relay through that relay, only if it may dial that relay', () => {
    const relay = { addr: multiaddr('/ip4/127.0.0.1/tcp/9090/ws'), id: R };
    const federated = multiaddr(`/ip4/127.0.0.1/tcp/9191/ws/p2p/${B}/p2p-circuit/webrtc/p2p/${C}`);
    const mayDial = (endpoint: string) => (a: typeof federated) => a.toString().includes(endpoint);
    expect(pexDialAddrs([federated], C, relay, mayDial('/tcp/9191/')).map(String)).toEqual([federated.toString()]);
    // A relay we were not told of (a hostile relay pointing at a host of our network): through the relay that answered.
    expect(pexDialAddrs([federated], C, relay, mayDial('/tcp/7777/')).map(String)).toEqual([`${base}/p2p/${C}`]);
    // An address for another peer than the entry names is not used for it.
    expect(pexDialAddrs([federated], B, relay, mayDial('/tcp/9191/')).map(String)).toEqual([`${base}/p2p/${B}`]);
  });
});

describe('peersByConnection', () => {
  type Facts = Pick<Connection, 'remotePeer' | 'remoteAddr' | 'limits' | 'streams'>;
  const conn = (peer: string, addr: string, limited: boolean, streams: { direction: 'inbound' | 'outbound'; protocol: string }[] = []): Facts =>
    ({ remotePeer: peerIdFromString(peer), remoteAddr: multiaddr(addr), limits: limited ? {} : undefined, streams }) as unknown as Facts;
  const relayed = `/ip4/127.0.0.1/tcp/9090/ws/p2p/${R}/p2p-circuit/p2p/${B}`;

  it('tells a peer dialing us (its signaling stream open to us) from one merely relayed, or our own dial', () => {
    const signaling = { direction: 'inbound' as const, protocol: WEBRTC_SIGNALING_PROTOCOL };
    expect(peersByConnection([conn(B, relayed, true, [signaling])]).dialingUs).toEqual(new Set([B]));
    // Our own signaling stream (we dial it), another protocol, or a relayed connection with no stream: not dialing us.
    for (const streams of [[{ ...signaling, direction: 'outbound' as const }], [{ ...signaling, protocol: '/ipfs/id/1.0.0' }], []]) {
      const peers = peersByConnection([conn(B, relayed, true, streams)]);
      expect(peers.dialingUs.size).toBe(0);
      expect(peers.relayed).toEqual(new Set([B]));
    }
  });

  it('counts a WebRTC connection as direct and a relay\'s WebSocket as neither', () => {
    const peers = peersByConnection([conn(B, `${base}/p2p/${B}`, false), conn(R, '/ip4/127.0.0.1/tcp/9090/ws', false)]);
    expect(peers.direct).toEqual(new Set([B]));
    expect(peers.relayed.size + peers.dialingUs.size).toBe(0);
  });
});

describe('neighbourhood facts', () => {
  type Facts = Parameters<typeof neighboursOf>[0][number];
  const conn = (peer: string, addr: string, open: number, streams: ('inbound' | 'outbound')[], limited = false): Facts =>
    ({ remotePeer: peerIdFromString(peer), remoteAddr: multiaddr(addr), limits: limited ? {} : undefined, timeline: { open }, streams: streams.map((direction) => ({ direction, protocol: '/x/1.0.0' })) }) as unknown as Facts;

  it('groups a peer by the relay its WebRTC address is signaled through', () => {
    expect(relayGroup([multiaddr(`${base}/p2p/${B}`)])).toBe(R);
    expect(relayGroup([multiaddr('/ip4/127.0.0.1/tcp/9090/ws'), multiaddr(`${base}/p2p/${B}`)])).toBe(R);
    expect(relayGroup([multiaddr('/ip4/127.0.0.1/tcp/9090/ws')])).toBe('unknown');
    expect(relayGroup([])).toBe('unknown');
  });

  it('counts direct peers once, from their oldest connection, and no relay or relayed connection', () => {
    const facts = neighboursOf(
      [conn(B, `${base}/p2p/${B}`, 50, ['outbound']), conn(B, `${base}/p2p/${B}`, 20, ['outbound', 'outbound']), conn(R, '/ip4/127.0.0.1/tcp/9090/ws', 1, ['outbound']), conn(C, `/ip4/127.0.0.1/tcp/9090/ws/p2p/${R}/p2p-circuit/p2p/${C}`, 1, [], true)],
      () => R,
    );
    expect(facts).toEqual([{ id: B, since: 20, group: R, usefulness: 3 }]);
  });

  it('does not let a peer look useful by opening streams to us', () => {
    // A hostile neighbour opens streams by the dozen to keep its place; only the streams we opened count.
    const [hostile, used] = neighboursOf([conn(B, `${base}/p2p/${B}`, 0, Array(30).fill('inbound')), conn(C, `${base}/p2p/${C}`, 0, ['outbound'])], () => R);
    expect(hostile!.usefulness).toBe(0);
    expect(used!.usefulness).toBe(1);
  });

  it('adds what we use a neighbour for that its streams do not show, such as our circuits over a link it opened', () => {
    const [carrying, idle] = neighboursOf([conn(B, `${base}/p2p/${B}`, 0, ['inbound']), conn(C, `${base}/p2p/${C}`, 0, ['inbound'])], () => R, (id) => (id === B ? 2 : 0));
    expect([carrying!.usefulness, idle!.usefulness]).toEqual([2, 0]);
    expect([carrying!.inUse, idle!.inUse]).toEqual([true, undefined]);
  });

});
