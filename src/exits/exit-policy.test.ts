import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../codec/bytes.ts';
import { EXIT_SENDME_EVERY_BYTES, EXIT_STREAM_WINDOW_BYTES, EXIT_UPLOAD_SHARE_MS, MAX_BEGINS_PER_CIRCUIT, MAX_CIRCUIT_BYTES, MAX_EXIT_TRACKERS, MAX_STREAMS_PER_CIRCUIT } from './constants.ts';
import { ExitCircuitPolicy, exitUploadShareBytes, isLocalHost, type ExitPolicyConfig } from './exit-policy.ts';
import type { ExitBegin } from './exit-wire.ts';

const HASH = new Uint8Array(20).fill(0xab);
const OTHER = new Uint8Array(20).fill(0xcd);
const TRACKER = 'wss://tracker.example/announce';
const OWN_TRACKER = 'ws://127.0.0.1:8000';
const tag = (n: number) => new Uint8Array(8).fill(n);

/** A BitTorrent handshake (BEP 3) for this infohash. */
function handshake(infoHash: Uint8Array): Uint8Array {
  return concatBytes(utf8.encode('\x13BitTorrent protocol'), new Uint8Array(8), infoHash, new Uint8Array(20).fill(7));
}

function policy(config: Partial<ExitPolicyConfig> = {}) {
  return new ExitCircuitPolicy({ exitCapKiBps: 0, ownTrackers: [OWN_TRACKER], ...config });
}

const begin = (streamId: number, over: Partial<ExitBegin> = {}): ExitBegin => ({ command: 'begin', streamId, infoHash: HASH, trackers: [TRACKER], ...over });

/** A circuit with stream 1 begun, connected and past its handshake. */
function open(p = policy(), id = 1) {
  expect(p.begin(begin(id))).toEqual({ ok: true });
  expect(p.connected(id, tag(id))).toEqual({ ok: true });
  expect(p.fromOriginator(id, handshake(HASH))).toMatchObject({ ok: true });
  return p;
}

describe('exit policy', () => {
  it('passes a BitTorrent wire for the circuit\'s swarm, holding a split handshake until its infohash is proven', () => {
    const p = policy();
    expect(p.begin(begin(1))).toEqual({ ok: true });
    expect(p.connected(1, tag(1))).toEqual({ ok: true });
    const hs = handshake(HASH);
    expect(p.fromOriginator(1, hs.subarray(0, 30))).toEqual({ ok: true, forward: new Uint8Array(0) });
    const rest = concatBytes(hs.subarray(30), new Uint8Array([0, 0, 0, 1, 2]));
    expect(p.fromOriginator(1, rest)).toEqual({ ok: true, forward: concatBytes(hs, new Uint8Array([0, 0, 0, 1, 2])) });
    expect(p.fromOriginator(1, new Uint8Array([9]))).toEqual({ ok: true, forward: new Uint8Array([9]) });
    expect(p.fromSwarm(1, handshake(HASH))).toMatchObject({ ok: true });
  });

  it('forwards exactly what was sent, however the handshake and what follows are split into data messages', () => {
    const sent = concatBytes(handshake(HASH), new Uint8Array([0, 0, 0, 5, 4, 0, 0, 0, 1]));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: sent.length - 1 }), { maxLength: 6 }), (cuts) => {
        const p = policy();
        p.begin(begin(1));
        p.connected(1, tag(1));
        const at = [0, ...cuts.sort((x, y) => x - y), sent.length];
        const forwarded: Uint8Array[] = [];
        for (let i = 1; i < at.length; i++) {
          const v = p.fromOriginator(1, sent.subarray(at[i - 1], at[i]));
          if (!v.ok) throw new Error(v.reason);
          forwarded.push(v.forward);
        }
        expect(concatBytes(...forwarded)).toEqual(sent);
      }),
    );
  });

  it('refuses a begin for another swarm than the circuit\'s', () => {
    const p = open();
    expect(p.begin(begin(2, { infoHash: OTHER }))).toEqual({ ok: false, reason: 'other-swarm', end: 'policy' });
    expect(p.begin(begin(2))).toEqual({ ok: true });
  });

  it('refuses a first payload that is not a BitTorrent handshake, at once, and forwards none of it', () => {
    for (const first of [utf8.encode('GET / HTTP/1.1\r\nHost: 192.168.1.1\r\n\r\n'), utf8.encode('\x13BitTorrent protocoX'), new Uint8Array([0x13, 0x42, 0x00])]) {
      const p = policy();
      p.begin(begin(1));
      p.connected(1, tag(1));
      expect(p.fromOriginator(1, first)).toEqual({ ok: false, reason: 'not-bittorrent', end: 'policy' });
      expect(p.fromOriginator(1, handshake(HASH))).toMatchObject({ ok: false, reason: 'unknown-stream' });
    }
  });

  it('refuses a handshake for another infohash, from either end', () => {
    const p = policy();
    p.begin(begin(1));
    p.connected(1, tag(1));
    expect(p.fromOriginator(1, handshake(OTHER).subarray(0, 29))).toEqual({ ok: false, reason: 'wrong-infohash', end: 'policy' });
    const q = open();
    expect(q.fromSwarm(1, handshake(OTHER))).toEqual({ ok: false, reason: 'wrong-infohash', end: 'policy' });
    expect(open().fromSwarm(1, utf8.encode('HTTP/1.1 200 OK'))).toMatchObject({ ok: false, reason: 'not-bittorrent' });
  });

  it(`holds at most MAX_STREAMS_PER_CIRCUIT (${MAX_STREAMS_PER_CIRCUIT}) streams, and MAX_BEGINS_PER_CIRCUIT over its life`, () => {
    const p = policy();
    for (let id = 1; id <= MAX_STREAMS_PER_CIRCUIT; id++) expect(p.begin(begin(id))).toEqual({ ok: true });
    expect(p.begin(begin(MAX_STREAMS_PER_CIRCUIT + 1))).toEqual({ ok: false, reason: 'too-many-streams', end: 'limit' });
    expect(p.begin(begin(1))).toMatchObject({ ok: false, reason: 'stream-in-use' });
    let id = MAX_STREAMS_PER_CIRCUIT;
    for (let begun = MAX_STREAMS_PER_CIRCUIT; begun < MAX_BEGINS_PER_CIRCUIT; begun++) {
      p.end(id);
      expect(p.begin(begin(++id))).toEqual({ ok: true });
    }
    p.end(id);
    expect(p.openStreams).toBe(MAX_STREAMS_PER_CIRCUIT - 1);
    expect(p.begin(begin(++id))).toEqual({ ok: false, reason: 'too-many-begins', end: 'limit' });
  });

  it('takes only ws: and wss: trackers, at most MAX_EXIT_TRACKERS, and none on the exit\'s own network but its own tracker', () => {
    for (const bad of ['http://tracker.example/announce', 'udp://tracker.example:80', 'https://tracker.example', 'file:///etc/passwd', 'ws://user:pw@tracker.example']) {
      expect(policy().begin(begin(1, { trackers: [TRACKER, bad] })), bad).toEqual({ ok: false, reason: 'tracker', end: 'policy' });
    }
    for (const local of ['ws://localhost:9000', 'ws://127.0.0.2:8000', 'ws://10.0.0.1', 'wss://192.168.1.1', 'ws://172.20.0.1', 'ws://169.254.169.254', 'ws://[::1]:80', 'ws://[fe80::1]', 'ws://[::ffff:127.0.0.1]', 'ws://2130706433:9000', 'ws://0x7f.1:9000', 'ws://localhost.:9000', 'ws://printer.local']) {
      expect(policy().begin(begin(1, { trackers: [local] })), local).toMatchObject({ ok: false, reason: 'tracker' });
    }
    expect(policy().begin(begin(1, { trackers: [`${OWN_TRACKER}/announce`] }))).toEqual({ ok: true });
    const many = Array.from({ length: MAX_EXIT_TRACKERS + 1 }, (_, i) => `wss://t${i}.example`);
    expect(policy().begin(begin(1, { trackers: many }))).toEqual({ ok: false, reason: 'too-many-trackers', end: 'policy' });
    expect(policy().begin(begin(1, { trackers: many.slice(1) }))).toEqual({ ok: true });
  });

  it('passes no data before the stream is connected, and gives each swarm peer one stream of a circuit', () => {
    const p = policy();
    p.begin(begin(1));
    expect(p.fromOriginator(1, handshake(HASH))).toEqual({ ok: false, reason: 'not-connected', end: 'protocol' });
    expect(p.fromOriginator(9, handshake(HASH))).toMatchObject({ ok: false, reason: 'unknown-stream' });
    p.begin(begin(2));
    p.begin(begin(3));
    expect(p.connected(2, tag(5))).toEqual({ ok: true });
    expect(p.connected(3, tag(5))).toEqual({ ok: false, reason: 'duplicate-peer', end: 'no-peer' });
  });

  it('holds the originator to the stream window the exit granted, and its credit to what it was sent', () => {
    const p = open();
    const hs = handshake(HASH).length;
    const fill = new Uint8Array(EXIT_STREAM_WINDOW_BYTES - hs);
    expect(p.fromOriginator(1, fill)).toMatchObject({ ok: true });
    expect(p.delivered(1, EXIT_SENDME_EVERY_BYTES - 1)).toBe(0);
    expect(p.delivered(1, 1)).toBe(EXIT_SENDME_EVERY_BYTES);
    expect(p.fromOriginator(1, new Uint8Array(EXIT_SENDME_EVERY_BYTES))).toMatchObject({ ok: true });
    expect(p.fromOriginator(1, new Uint8Array(1))).toEqual({ ok: false, reason: 'window', end: 'protocol' });

    const q = open();
    expect(q.sendCredit(1)).toBe(EXIT_STREAM_WINDOW_BYTES);
    expect(q.fromSwarm(1, handshake(HASH))).toMatchObject({ ok: true });
    expect(q.sendCredit(1)).toBe(EXIT_STREAM_WINDOW_BYTES - hs);
    expect(q.sendme(1, hs)).toEqual({ ok: true });
    expect(q.sendCredit(1)).toBe(EXIT_STREAM_WINDOW_BYTES);
    expect(q.sendme(1, 1)).toEqual({ ok: false, reason: 'bad-sendme', end: 'protocol' });
  });

  it('holds a circuit to its share of the exit upload cap', () => {
    expect(exitUploadShareBytes(0)).toBe(MAX_CIRCUIT_BYTES);
    const share = exitUploadShareBytes(1);
    expect(share).toBe((1024 * EXIT_UPLOAD_SHARE_MS) / 1000);
    const p = open(policy({ exitCapKiBps: 1 }));
    expect(p.begin(begin(2))).toEqual({ ok: true });
    expect(p.connected(2, tag(2))).toEqual({ ok: true });
    const hs = handshake(HASH).length;
    expect(p.fromOriginator(2, handshake(HASH))).toMatchObject({ ok: true });
    expect(p.fromOriginator(1, new Uint8Array(share - 2 * hs))).toMatchObject({ ok: true });
    expect(p.fromOriginator(2, new Uint8Array(1))).toEqual({ ok: false, reason: 'upload-share', end: 'limit' });
  });

  it('takes hash-checked reports only for bytes it passed on from the stream\'s peer', () => {
    const p = open();
    expect(p.fromSwarm(1, handshake(HASH))).toMatchObject({ ok: true });
    expect(p.fromSwarm(1, new Uint8Array(1000))).toMatchObject({ ok: true });
    expect(p.verified(1, 600)).toEqual({ ok: true, total: 600 });
    expect(p.verified(1, 468)).toEqual({ ok: true, total: 1068 });
    // One byte more than the peer sent: an originator inflating what the exit would acknowledge (and pay) for it.
    expect(p.verified(1, 1)).toEqual({ ok: false, reason: 'over-verified', end: 'protocol' });
    expect(p.verified(1, 1)).toMatchObject({ ok: false, reason: 'unknown-stream' });
  });

  it('closes every stream with its circuit and refuses all that comes after', () => {
    const p = open();
    p.begin(begin(2));
    expect(p.closeCircuit()).toEqual([1, 2]);
    expect(p.openStreams).toBe(0);
    expect(p.begin(begin(3))).toMatchObject({ ok: false, reason: 'circuit-closed' });
    expect(p.fromOriginator(1, new Uint8Array(1))).toMatchObject({ ok: false, reason: 'circuit-closed' });
    expect(p.fromSwarm(1, new Uint8Array(1))).toMatchObject({ ok: false, reason: 'circuit-closed' });
    expect(p.connected(2, tag(2))).toMatchObject({ ok: false, reason: 'circuit-closed' });
    expect(p.sendme(1, 1)).toMatchObject({ ok: false, reason: 'circuit-closed' });
    expect(p.sendCredit(1)).toBe(0);
  });

  it('knows loopback, private and link-local hosts from public ones', () => {
    for (const h of ['localhost', 'a.localhost', '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '[::1]', '[fd00::1]', '[fe80::1]']) expect(isLocalHost(h), h).toBe(true);
    for (const h of ['tracker.example', '8.8.8.8', '172.32.0.1', '100.128.0.1', '[2001:db8::1]']) expect(isLocalHost(h), h).toBe(false);
  });
});
