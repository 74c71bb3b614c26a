import { describe, expect, it } from 'vitest';
import { buildPeerTable, classifyConnection } from './peer-table.ts';

const circuit = '/ip4/127.0.0.1/tcp/9090/ws/p2p/R/p2p-circuit/p2p/B';

describe('classifyConnection', () => {
  it('tells direct WebRTC from relayed circuits and relay WebSockets', () => {
    expect(classifyConnection({ remoteAddr: `${circuit}/webrtc/p2p/B`, limited: false })).toBe('webrtc');
    expect(classifyConnection({ remoteAddr: circuit, limited: true })).toBe('relayed');
    expect(classifyConnection({ remoteAddr: `${circuit}/webrtc/p2p/B`, limited: true })).toBe('relayed');
    expect(classifyConnection({ remoteAddr: '/ip4/127.0.0.1/tcp/9090/ws/p2p/R', limited: false })).toBe('websocket');
  });
});

describe('buildPeerTable', () => {
  it('keeps the best transport per peer, marks relays, and sorts relays first', () => {
    const rows = buildPeerTable(
      [
        { remotePeer: 'B', remoteAddr: circuit, limited: true, openedAt: 5 },
        { remotePeer: 'B', remoteAddr: `${circuit}/webrtc`, limited: false, openedAt: 7, rttMs: 12 },
        { remotePeer: 'C', remoteAddr: circuit, limited: true, openedAt: 3 },
        { remotePeer: 'R', remoteAddr: '/ip4/127.0.0.1/tcp/9090/ws', limited: false, openedAt: 1 },
      ],
      new Set(['R']),
      new Map([['C', 40]]),
    );
    expect(rows.map((r) => [r.peerId, r.role, r.transport, r.connections])).toEqual([
      ['R', 'relay', 'websocket', 1],
      ['B', 'peer', 'webrtc', 2],
      ['C', 'peer', 'relayed', 1],
    ]);
    expect(rows.find((r) => r.peerId === 'B')!.since).toBe(5);
    expect(rows.find((r) => r.peerId === 'C')!.rttMs).toBe(40);
  });
});
