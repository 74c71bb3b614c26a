import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPeerTable, classifyConnection, type ConnectionFacts, type PeerRow, type Transport } from './peer-table.ts';

const R = '12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa';
const relayWs = '/ip4/127.0.0.1/tcp/9090/ws';
const circuit = `${relayWs}/p2p/${R}/p2p-circuit`;
const webrtc = `${circuit}/webrtc`;

function conn(remotePeer: string, remoteAddr: string, limited: boolean, openedAt: number, rttMs?: number): ConnectionFacts {
  return { remotePeer, remoteAddr, limited, openedAt, rttMs };
}

describe('classifyConnection', () => {
  it.each([
    ['an unlimited WebRTC connection is direct', `${webrtc}/p2p/B`, false, 'webrtc'],
    ['a WebRTC address on a limited connection is still relayed', `${webrtc}/p2p/B`, true, 'relayed'],
    ['a limited circuit is relayed', `${circuit}/p2p/B`, true, 'relayed'],
    ['a circuit is relayed even if the limit is unknown', `${circuit}/p2p/B`, false, 'relayed'],
    ['a relay\'s WebSocket', `${relayWs}/p2p/${R}`, false, 'websocket'],
    ['a secure WebSocket', '/dns4/relay.example.org/tcp/443/wss', false, 'websocket'],
    ['a limited WebSocket is relayed', relayWs, true, 'relayed'],
    ['WebRTC without the circuit prefix', '/webrtc/p2p/B', false, 'webrtc'],
  ] as const)('%s', (_, remoteAddr, limited, expected) => {
    expect(classifyConnection({ remoteAddr, limited })).toBe(expected);
  });

  it('matches whole protocol names, not substrings', () => {
    expect(classifyConnection({ remoteAddr: '/ip4/1.2.3.4/udp/1/webrtc-direct', limited: false })).toBe('websocket');
  });
});

describe('buildPeerTable', () => {
  it('is empty without connections', () => {
    expect(buildPeerTable([], new Set([R]), new Map())).toEqual([]);
  });

  it('makes one row per peer, counting its connections and keeping its best transport and earliest open time', () => {
    const rows = buildPeerTable(
      [
        conn('B', `${circuit}/p2p/B`, true, 5),
        conn('B', `${webrtc}/p2p/B`, false, 7),
        conn('B', `${circuit}/p2p/B`, true, 9),
        conn('C', `${circuit}/p2p/C`, true, 3),
      ],
      new Set(),
      new Map(),
    );
    expect(rows).toEqual<PeerRow[]>([
      { peerId: 'B', role: 'peer', transport: 'webrtc', connections: 3, rttMs: undefined, since: 5 },
      { peerId: 'C', role: 'peer', transport: 'relayed', connections: 1, rttMs: undefined, since: 3 },
    ]);
  });

  it('marks relays by their peer id, whatever the transport', () => {
    const rows = buildPeerTable([conn(R, relayWs, false, 1), conn('B', `${webrtc}/p2p/B`, false, 2)], new Set([R]), new Map());
    expect(rows.map((r) => [r.peerId, r.role])).toEqual([[R, 'relay'], ['B', 'peer']]);
  });

  it('counts a WebSocket peer as a relay before identify names it (tabs meet only over WebRTC): a tab is not shown a peer it does not have', () => {
    const rows = buildPeerTable([conn(R, relayWs, false, 1), conn('B', `${webrtc}/p2p/B`, false, 2)], new Set(), new Map());
    expect(rows.map((r) => [r.peerId, r.role])).toEqual([[R, 'relay'], ['B', 'peer']]);
  });

  it('takes the round-trip time from a measurement first, else from the connection with the best transport', () => {
    const rows = buildPeerTable(
      [
        // B: the relayed connection opened first, then the direct one; the row shows the direct link's RTT.
        conn('B', `${circuit}/p2p/B`, true, 1, 250),
        conn('B', `${webrtc}/p2p/B`, false, 2, 12),
        // C: a measurement overrides what the connections report.
        conn('C', `${webrtc}/p2p/C`, false, 3, 30),
        // D: no RTT known anywhere.
        conn('D', `${webrtc}/p2p/D`, false, 4),
        // E: two direct connections, only the second has been measured yet.
        conn('E', `${webrtc}/p2p/E`, false, 5),
        conn('E', `${webrtc}/p2p/E`, false, 6, 20),
      ],
      new Set(),
      new Map([['C', 40]]),
    );
    const rtt = Object.fromEntries(rows.map((r) => [r.peerId, r.rttMs]));
    expect(rtt).toEqual({ B: 12, C: 40, D: undefined, E: 20 });
  });

  it('sorts relays first, then by transport (webrtc, websocket, relayed), then oldest first, then by peer id', () => {
    const rows = buildPeerTable(
      [
        conn('P-relayed', `${circuit}/p2p/P`, true, 1),
        conn('P-ws', relayWs, false, 50),
        conn('P-rtc-late', `${webrtc}/p2p/X`, false, 20),
        conn('P-rtc-b', `${webrtc}/p2p/X`, false, 10),
        conn('P-rtc-a', `${webrtc}/p2p/X`, false, 10),
        conn('R2', relayWs, false, 9),
        conn('R1', relayWs, false, 8),
      ],
      new Set(['R1', 'R2']),
      new Map(),
    );
    // P-ws: reached over a WebSocket, a relay whose id was not known yet; the newest relay comes last of them.
    expect(rows.map((r) => r.peerId)).toEqual(['R1', 'R2', 'P-ws', 'P-rtc-a', 'P-rtc-b', 'P-rtc-late', 'P-relayed']);
  });
});

describe('buildPeerTable properties', () => {
  const peers = ['A', 'B', 'C', 'D', 'E'];
  const kinds: { addr: string; limited: boolean; transport: Transport }[] = [
    { addr: `${webrtc}/p2p/X`, limited: false, transport: 'webrtc' },
    { addr: relayWs, limited: false, transport: 'websocket' },
    { addr: `${circuit}/p2p/X`, limited: true, transport: 'relayed' },
  ];
  const RANK: Record<Transport, number> = { webrtc: 0, websocket: 1, relayed: 2 };
  const connArb = fc.record({
    peer: fc.constantFrom(...peers),
    kind: fc.integer({ min: 0, max: kinds.length - 1 }),
    openedAt: fc.integer({ min: 0, max: 1000 }),
  }).map(({ peer, kind, openedAt }) => conn(peer, kinds[kind]!.addr, kinds[kind]!.limited, openedAt));
  const input = fc.tuple(fc.array(connArb, { maxLength: 30 }), fc.subarray(peers));

  it('has one row per peer, summarising exactly its connections', () => {
    fc.assert(
      fc.property(input, ([connections, relayPeers]) => {
        const rows = buildPeerTable(connections, new Set(relayPeers), new Map());
        expect(new Set(rows.map((r) => r.peerId)).size).toBe(rows.length);
        expect(rows.reduce((n, r) => n + r.connections, 0)).toBe(connections.length);
        for (const row of rows) {
          const mine = connections.filter((c) => c.remotePeer === row.peerId);
          expect(row.connections).toBe(mine.length);
          expect(row.since).toBe(Math.min(...mine.map((c) => c.openedAt)));
          expect(RANK[row.transport]).toBe(Math.min(...mine.map((c) => RANK[classifyConnection(c)])));
          expect(row.role).toBe(relayPeers.includes(row.peerId) || mine.some((c) => classifyConnection(c) === 'websocket') ? 'relay' : 'peer');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order connections are listed in', () => {
    fc.assert(
      fc.property(input.chain(([connections, relayPeers]) =>
        fc.shuffledSubarray(connections, { minLength: connections.length, maxLength: connections.length }).map((shuffled) => [connections, shuffled, relayPeers] as const)),
      ([connections, shuffled, relayPeers]) => {
        expect(buildPeerTable(shuffled, new Set(relayPeers), new Map())).toEqual(buildPeerTable(connections, new Set(relayPeers), new Map()));
      }),
      { numRuns: 300 },
    );
  });

  it('is sorted: relays, then transport rank, then age', () => {
    fc.assert(
      fc.property(input, ([connections, relayPeers]) => {
        const rows = buildPeerTable(connections, new Set(relayPeers), new Map());
        for (let i = 1; i < rows.length; i++) {
          const a = rows[i - 1]!;
          const b = rows[i]!;
          const key = (r: PeerRow): [number, number, number] => [r.role === 'relay' ? 0 : 1, RANK[r.transport], r.since];
          const [ka, kb] = [key(a), key(b)];
          const cmp = ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
          expect(cmp).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
