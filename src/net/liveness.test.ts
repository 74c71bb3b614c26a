import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { ping } from '@libp2p/ping';
import type { Connection } from '@libp2p/interface';
import { isRelayConnection, LIVENESS, PING_PROTOCOL, pingConnection, pingDue, watchLiveness } from './liveness.ts';

const RELAY = '/ip4/203.0.113.5/tcp/443/wss/p2p/12D3KooWRelay';

describe('which connections are to a relay', () => {
  it('takes a WebSocket connection for a relay, and a WebRTC or relayed one for a peer', () => {
    expect(isRelayConnection(RELAY)).toBe(true);
    expect(isRelayConnection('/dns4/relay.example.org/tcp/443/tls/ws/p2p/12D3KooWRelay')).toBe(true);
    expect(isRelayConnection('/ip4/127.0.0.1/tcp/9090/ws')).toBe(true);
    expect(isRelayConnection(`${RELAY}/p2p-circuit/p2p/12D3KooWPeer`)).toBe(false);
    expect(isRelayConnection('/ip4/192.168.1.4/udp/53312/webrtc/certhash/uEi/p2p/12D3KooWPeer')).toBe(false);
    expect(isRelayConnection(`${RELAY}/p2p-circuit/webrtc/p2p/12D3KooWPeer`)).toBe(false);
    expect(isRelayConnection(RELAY, true)).toBe(false); // a limited connection is relayed, whatever its address
  });

  it('pings a peer at each look (every 5 s) and a relay every sixth, counting from the connection opening', () => {
    const tick = LIVENESS.tickMs;
    expect(pingDue(false, 0, undefined, tick / 2 - 1)).toBe(false);
    expect(pingDue(false, 0, undefined, tick - 3)).toBe(true); // a timer a few ms early
    expect(pingDue(false, 0, 5_003, 10_001)).toBe(true);
    expect(pingDue(true, 0, undefined, LIVENESS.relayPingIntervalMs - tick)).toBe(false);
    expect(pingDue(true, 0, undefined, LIVENESS.relayPingIntervalMs - 3)).toBe(true);
    expect(pingDue(true, 0, 40_000, 40_000 + LIVENESS.relayPingIntervalMs - tick)).toBe(false);
  });
});

describe('watching connections', () => {
  afterEach(() => vi.useRealTimers());

  /** A connection as watchLiveness sees it; `aborted` records a cut, which closes it. */
  const fakeConnection = (remoteAddr: string) => {
    const c = { status: 'open', remoteAddr: { toString: () => remoteAddr }, timeline: { open: 0 }, aborted: undefined as Error | undefined, abort: (e: Error) => ((c.aborted = e), (c.status = 'closed')) };
    return c;
  };

  it('pings its relay six times less often than its peers over a minute', async () => {
    vi.useFakeTimers({ now: 0 });
    const relay = fakeConnection(RELAY);
    const peer = fakeConnection(`${RELAY}/p2p-circuit/webrtc/p2p/12D3KooWPeer`);
    const pings = new Map<unknown, number>();
    const stop = watchLiveness({ getConnections: () => [relay, peer] as unknown as Connection[] }, {
      ping: async (c) => void pings.set(c, (pings.get(c) ?? 0) + 1),
    });
    await vi.advanceTimersByTimeAsync(60_000);
    stop();
    expect(pings.get(peer)).toBe(12);
    expect(pings.get(relay)).toBe(2);
  });

  it('cuts a connection whose ping fails, and does not ping one again while its ping is on the way', async () => {
    vi.useFakeTimers({ now: 0 });
    const slow = fakeConnection('/p2p/slow/p2p-circuit');
    const dead = fakeConnection('/p2p/dead/p2p-circuit');
    let slowPings = 0;
    const cuts: string[] = [];
    const stop = watchLiveness({ getConnections: () => [slow, dead] as unknown as Connection[] }, {
      onCut: (c, err) => cuts.push(`${c.remoteAddr.toString()}: ${err.message}`),
      ping: (c) => {
        if (c === (dead as unknown)) return Promise.reject(new Error('no answer'));
        slowPings++;
        return new Promise(() => undefined); // never answers within this test
      },
    });
    await vi.advanceTimersByTimeAsync(30_000);
    stop();
    expect(dead.aborted?.message).toBe('no answer');
    expect(cuts).toEqual(['/p2p/dead/p2p-circuit: no answer']);
    expect(slow.aborted).toBeUndefined();
    expect(slowPings).toBe(1);
  });
});

describe('a ping over a real connection', () => {
  const nodes: Libp2p[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  async function pair(answer: 'ping' | 'silent'): Promise<Connection> {
    const base = {
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionMonitor: { enabled: false },
    };
    const listener: Libp2p = answer === 'ping' ? await createLibp2p({ ...base, services: { ping: ping() } }) : await createLibp2p(base);
    // A far end that takes the stream and never echoes: as a peer whose page froze.
    if (answer === 'silent') await listener.handle(PING_PROTOCOL, () => undefined);
    const dialer = await createLibp2p({ transports: [webSockets()], connectionEncrypters: [noise()], streamMuxers: [yamux()], connectionMonitor: { enabled: false } });
    nodes.push(listener, dialer);
    return dialer.dial(listener.getMultiaddrs()[0]!);
  }

  it('comes back from a peer that answers, and records the round trip the peer list shows', async () => {
    const conn = await pair('ping');
    await pingConnection(conn);
    expect(conn.rtt).toBeGreaterThanOrEqual(0);
  });

  it('fails within its timeout when the far end does not echo', async () => {
    await expect(pingConnection(await pair('silent'), 300)).rejects.toThrow();
  });
});
