/** The relay on real sockets: health, and survival of garbage on every listener. */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLibp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { RELAY_DEFAULTS } from './config.ts';
import { startRelay, type Relay } from './relay.ts';

let relay: Relay;
const logs: string[] = [];

beforeAll(async () => {
  relay = await startRelay({ ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers: [] }, await generateKeyPair('Ed25519'), (m) => logs.push(m));
});
afterAll(async () => {
  await relay.stop();
});

const p2pPort = (): number => Number(relay.node.getMultiaddrs()[0]!.toString().split('/')[4]);

async function sendGarbage(url: string): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  ws.send(Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 131) & 0xff)));
  ws.send('{"action":"announce","info_hash":');
  ws.send('not json at all');
  // The server may keep or drop the socket; either way we end it.
  setTimeout(() => ws.terminate(), 300);
  await closed;
}

describe('relay', () => {
  it('reports health with counts', async () => {
    const res = await fetch(`${relay.httpUrl}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const health = await res.json();
    expect(health).toMatchObject({ status: 'ok', peerId: relay.node.peerId.toString(), connections: 0, reservations: 0, tracker: { torrents: 0 } });
    expect(health.listen[0]).toContain('/ws/p2p/');
    expect((await fetch(`${relay.httpUrl}/nope`)).status).toBe(404);
  });

  it('survives garbage on its WebSockets and raw TCP, then still serves libp2p peers', async () => {
    await sendGarbage(`ws://127.0.0.1:${p2pPort()}`);
    await sendGarbage(relay.httpUrl.replace('http', 'ws'));
    await new Promise<void>((resolve) => {
      const sock = connect(p2pPort(), '127.0.0.1', () => sock.end(Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x42])));
      sock.on('close', () => resolve());
      sock.on('error', () => resolve());
    });
    expect((await (await fetch(`${relay.httpUrl}/health`)).json()).status).toBe('ok');

    const client = await createLibp2p({
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), ping: ping() },
    });
    try {
      const rtt = await client.services.ping.ping(relay.node.getMultiaddrs()[0]!);
      expect(rtt).toBeGreaterThanOrEqual(0);
      expect(relay.health().connections).toBe(1);
      expect(logs.some((l) => l.startsWith('peer connected'))).toBe(true);
    } finally {
      await client.stop();
    }
  });
});
