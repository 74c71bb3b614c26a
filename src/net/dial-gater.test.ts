import { describe, expect, it } from 'vitest';
import { multiaddr } from '@multiformats/multiaddr';
import { isDialAllowed } from './dial-gater.ts';

const RELAY = '12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa';
const PEER = '12D3KooWGqt8g7yUq3MZyoAnsmhugrvT7tN4F7xJhiMm5zDAM6Ae';
const relays = new Set(['127.0.0.1:9090']);

describe('isDialAllowed', () => {
  it('lets WebSocket dials reach configured relays only', () => {
    expect(isDialAllowed(multiaddr(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY}`), relays)).toBe(true);
    expect(isDialAllowed(multiaddr('/ip4/127.0.0.1/tcp/9091/ws'), relays)).toBe(false);
    expect(isDialAllowed(multiaddr('/ip4/192.168.1.1/tcp/80/ws'), relays)).toBe(false);
  });

  it('allows WebRTC through a configured relay, not through an unknown one', () => {
    expect(isDialAllowed(multiaddr(`/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`), relays)).toBe(true);
    expect(isDialAllowed(multiaddr(`/ip4/10.0.0.1/tcp/9090/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`), relays)).toBe(false);
  });

  it('allows circuits over an existing relay connection', () => {
    expect(isDialAllowed(multiaddr(`/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`), relays)).toBe(true);
  });

  it('denies transports a browser page should not use', () => {
    expect(isDialAllowed(multiaddr('/ip4/127.0.0.1/tcp/22'), relays)).toBe(false);
  });
});
