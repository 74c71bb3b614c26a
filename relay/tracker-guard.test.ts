/**
 * The WebTorrent tracker's limits on real sockets (127.0.0.1): message size,
 * offers per announce, requests per socket and per address, swarms per socket
 * and per address, sockets per address. A refused request gets the tracker's
 * `failure reason` and the socket stays open, so the client keeps its other swarms,
 * unless it keeps sending past its share.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { RELAY_DEFAULTS } from './config.ts';
import { RELAY_LIMITS, type RelayLimits } from './limits.ts';
import { startRelay, type Relay } from './relay.ts';
import { until } from '../src/testing/until.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relayWith(limits: Partial<RelayLimits>, now: () => number = Date.now): Promise<Relay> {
  const relay = await startRelay(
    { ...RELAY_DEFAULTS, host: '127.0.0.1', p2pPort: 0, httpPort: 0, announce: [], peers: [] },
    await generateKeyPair('Ed25519'),
    () => undefined,
    now,
    // These clients are all on 127.0.0.1; here it stands for one host, not a proxy.
    { loopbackIsProxy: false, ...limits },
  );
  cleanups.push(() => relay.stop());
  return relay;
}

async function open(relay: Relay, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(relay.httpUrl.replace(/^http/, 'ws'), { headers });
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** Sends a request and resolves with the tracker's reply. */
function ask(ws: WebSocket, request: Record<string, unknown> | string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData): void => {
      ws.off('close', onClose);
      resolve(JSON.parse(String(data)) as Record<string, unknown>);
    };
    const onClose = (code: number): void => {
      ws.off('message', onMessage);
      reject(new Error(`closed with ${code}`));
    };
    ws.once('message', onMessage);
    ws.once('close', onClose);
    ws.send(typeof request === 'string' ? request : JSON.stringify(request));
  });
}

const hash = (n: number): string => n.toString().padStart(20, '0');
const announce = (infoHash: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  action: 'announce', event: 'started', info_hash: infoHash, peer_id: 'P'.repeat(20), offers: [], ...extra,
});
const offer = (sdp: string): Record<string, unknown> => ({ offer: { type: 'offer', sdp }, offer_id: 'o'.repeat(20) });

describe('tracker message size', () => {
  it('closes a socket that sends a message over the limit (1009), without reading 100 MiB first', async () => {
    const relay = await relayWith({});
    const ws = await open(relay);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify(announce(hash(1), { offers: [offer('x'.repeat(RELAY_LIMITS.trackerMaxMessageBytes))] })));
    expect(await closed).toBe(1009);
    // Others are unaffected.
    expect(await ask(await open(relay), announce(hash(2)))).toMatchObject({ action: 'announce', interval: expect.any(Number) });
  });

  it('takes an announce with five offers of realistic size (4 KiB of SDP each)', async () => {
    const relay = await relayWith({});
    const reply = await ask(await open(relay), announce(hash(1), { offers: Array.from({ length: 5 }, () => offer('a=candidate '.repeat(340))) }));
    expect(reply).not.toHaveProperty('failure reason');
  });
});

describe('tracker requests', () => {
  it('refuses an announce with more offers than the limit (each would be forwarded to another peer)', async () => {
    const relay = await relayWith({});
    const ws = await open(relay);
    const offers = Array.from({ length: RELAY_LIMITS.trackerOffersPerAnnounce + 1 }, () => offer('v=0'));
    expect(await ask(ws, announce(hash(1), { offers }))).toMatchObject({ action: 'announce', info_hash: hash(1), 'failure reason': expect.stringContaining('too many offers') });
    expect(await ask(ws, announce(hash(1), { offers: offers.slice(1) }))).not.toHaveProperty('failure reason');
  });

  it('refuses requests beyond the per-socket rate, serves the socket again in the next window, and serves other sockets meanwhile', async () => {
    let t = 1_000_000;
    const relay = await relayWith({ trackerRequestsPerSocket: { count: 4, windowMs: 30_000 } }, () => t);
    const ws = await open(relay);
    for (let i = 0; i < 4; i++) expect(await ask(ws, announce(hash(1)))).not.toHaveProperty('failure reason');
    expect(await ask(ws, announce(hash(1)))).toMatchObject({ 'failure reason': expect.stringContaining('too many requests') });
    expect(await ask(ws, { action: 'scrape', info_hash: hash(1) })).toMatchObject({ action: 'scrape', 'failure reason': expect.stringContaining('too many requests') });
    expect(await ask(await open(relay), announce(hash(1), { peer_id: 'Q'.repeat(20) }))).not.toHaveProperty('failure reason');
    t += 30_000;
    expect(await ask(ws, announce(hash(1)))).not.toHaveProperty('failure reason');
    expect(relay.health().refused.trackerRequests).toBe(2);
  });

  it('closes a socket that keeps sending past its share, unread, and serves other sockets meanwhile', async () => {
    const relay = await relayWith({ trackerRequestsPerSocket: { count: 2, windowMs: 30_000 }, trackerRefusalsBeforeCut: 3 });
    const ws = await open(relay);
    for (let i = 0; i < 2; i++) expect(await ask(ws, announce(hash(1)))).not.toHaveProperty('failure reason');
    for (let i = 0; i < 3; i++) expect(await ask(ws, announce(hash(1)))).toHaveProperty('failure reason', expect.stringContaining('too many requests'));
    // The flood's next message costs the relay no parse and no reply: the socket is gone.
    await expect(ask(ws, announce(hash(1)))).rejects.toThrow(/closed/);
    expect(relay.health().refused).toMatchObject({ trackerRequests: 3, trackerSocketsCut: 1 });
    expect(await ask(await open(relay), announce(hash(1), { peer_id: 'Q'.repeat(20) }))).not.toHaveProperty('failure reason');
  });

  it('charges malformed messages to the share: garbage cannot be sent without limit', async () => {
    const relay = await relayWith({ trackerRequestsPerSocket: { count: 2, windowMs: 30_000 } });
    const ws = await open(relay);
    for (let i = 0; i < 2; i++) expect(await ask(ws, 'not a tracker request')).toHaveProperty('failure reason', 'malformed tracker request');
    expect(await ask(ws, announce(hash(1)))).toHaveProperty('failure reason', expect.stringContaining('too many requests'));
  });

  it('refuses, but does not close, a socket whose address used up its share on other sockets', async () => {
    const relay = await relayWith({ trackerRequestsPerAddress: { count: 2, windowMs: 30_000 }, trackerRefusalsBeforeCut: 1 });
    const [greedy, honest] = [await open(relay), await open(relay)];
    for (let i = 0; i < 2; i++) expect(await ask(greedy, announce(hash(1)))).not.toHaveProperty('failure reason');
    for (let i = 0; i < 3; i++) expect(await ask(honest, announce(hash(2), { peer_id: 'Q'.repeat(20) }))).toHaveProperty('failure reason', expect.stringContaining('too many requests'));
    expect(relay.health().refused.trackerSocketsCut).toBe(0);
  });

  it('refuses requests beyond the per-address rate, across sockets', async () => {
    const relay = await relayWith({ trackerRequestsPerAddress: { count: 3, windowMs: 30_000 } });
    const [a, b] = [await open(relay), await open(relay)];
    expect(await ask(a, announce(hash(1)))).not.toHaveProperty('failure reason');
    expect(await ask(b, announce(hash(2)))).not.toHaveProperty('failure reason');
    expect(await ask(a, announce(hash(3)))).not.toHaveProperty('failure reason');
    expect(await ask(b, announce(hash(4)))).toHaveProperty('failure reason', expect.stringContaining('too many requests'));
  });
});

describe('tracker swarms', () => {
  it('refuses a socket a new swarm beyond its cap; re-announcing a joined swarm and leaving one still work', async () => {
    const relay = await relayWith({ trackerSwarmsPerSocket: 3 });
    const ws = await open(relay);
    for (let i = 1; i <= 3; i++) expect(await ask(ws, announce(hash(i)))).not.toHaveProperty('failure reason');
    expect(await ask(ws, announce(hash(4)))).toMatchObject({ info_hash: hash(4), 'failure reason': expect.stringContaining('too many swarms') });
    expect(await ask(ws, announce(hash(2), { event: undefined }))).not.toHaveProperty('failure reason');
    expect(relay.health().tracker.torrents).toBe(3);
    expect(await ask(ws, announce(hash(3), { event: 'stopped' }))).not.toHaveProperty('failure reason');
    expect(await ask(ws, announce(hash(4)))).not.toHaveProperty('failure reason');
  });

  it('counts swarms across the sockets of one address, and frees them when a socket closes', async () => {
    const relay = await relayWith({ trackerSwarmsPerSocket: 3, trackerSwarmsPerAddress: 4 });
    const [a, b] = [await open(relay), await open(relay)];
    for (let i = 1; i <= 3; i++) expect(await ask(a, announce(hash(i)))).not.toHaveProperty('failure reason');
    expect(await ask(b, announce(hash(10), { peer_id: 'Q'.repeat(20) }))).not.toHaveProperty('failure reason');
    expect(await ask(b, announce(hash(11), { peer_id: 'Q'.repeat(20) }))).toHaveProperty('failure reason', expect.stringContaining('from your address'));
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.close();
    await closed;
    // The relay sees the close about when the client does: ask until it has.
    await until(async () => !('failure reason' in (await ask(b, announce(hash(11), { peer_id: 'Q'.repeat(20) })))), "a's swarms to be freed");
  });
});

describe('tracker sockets per address', () => {
  it('behind a local proxy, counts each client by X-Forwarded-For, and does not count the proxy itself', async () => {
    const relay = await relayWith({ trackerSocketsPerAddress: 1, loopbackIsProxy: true });
    await open(relay, { 'X-Forwarded-For': '203.0.113.7' });
    await expect(open(relay, { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' })).rejects.toThrow(/429/);
    await open(relay, { 'X-Forwarded-For': '198.51.100.2' });
    await open(relay);
    await open(relay);
  });

  it('answers 429 to a socket beyond the cap on all sockets, whatever their address, and lets one in again when one closes', async () => {
    const relay = await relayWith({ trackerSockets: 2, loopbackIsProxy: true });
    await open(relay, { 'X-Forwarded-For': '203.0.113.7' });
    const second = await open(relay);
    await expect(open(relay, { 'X-Forwarded-For': '198.51.100.2' })).rejects.toThrow(/429/);
    expect(relay.health().refused.trackerSockets).toBe(1);
    second.close();
    await until(async () => (await open(relay).then(() => true, () => false)), 'a place to free up');
  });

  it('answers 429 to an address opening sockets faster than its share, and lets it in again in the next window', async () => {
    let t = 1_000_000;
    const relay = await relayWith({ trackerSocketOpensPerAddress: { count: 2, windowMs: 1_000 } }, () => t);
    const first = await open(relay);
    first.close();
    await open(relay);
    // Closing a socket does not give its open back: a socket cut for flooding cannot come straight back.
    await expect(open(relay)).rejects.toThrow(/429/);
    expect(relay.health().refused.trackerSockets).toBe(1);
    t += 1_000;
    await open(relay);
  });

  it('answers 429 to a socket beyond the per-address cap', async () => {
    const relay = await relayWith({ trackerSocketsPerAddress: 2 });
    await open(relay);
    await open(relay);
    await expect(open(relay)).rejects.toThrow(/429/);
    expect(relay.health().refused.trackerSockets).toBe(1);
  });
});
