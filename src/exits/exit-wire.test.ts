import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryWriter, DecodeError } from '../codec/binary.ts';
import { utf8 } from '../codec/bytes.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { EXIT_STREAM_WINDOW_BYTES, MAX_EXIT_TRACKERS, MAX_TRACKER_URL_BYTES } from './constants.ts';
import { decodeExitMessage, encodeExitMessage, INFOHASH_BYTES, isTrackerUrl, MAX_EXIT_DATA_BYTES, PEER_TAG_BYTES, type EndReason, type ExitMessage } from './exit-wire.ts';
import { decodeProbe, encodeProbe } from '../circuits/probe-wire.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const streamId = fc.integer({ min: 1, max: 0xffff });
const tracker = fc
  .webUrl({ validSchemes: ['ws', 'wss'], size: 'small' })
  .filter((u) => isTrackerUrl(u) && utf8.encode(u).length <= MAX_TRACKER_URL_BYTES);
const reasons: EndReason[] = ['done', 'policy', 'protocol', 'limit', 'no-peer', 'peer-closed', 'timeout', 'exit-off'];
const messages: fc.Arbitrary<ExitMessage> = fc.oneof(
  fc.record({ command: fc.constant('begin' as const), streamId, infoHash: bytes(INFOHASH_BYTES), trackers: fc.array(tracker, { maxLength: MAX_EXIT_TRACKERS }) }),
  fc.record({ command: fc.constant('connected' as const), streamId, peerTag: bytes(PEER_TAG_BYTES) }),
  fc.record({ command: fc.constant('data' as const), streamId, data: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ command: fc.constant('end' as const), streamId, reason: fc.constantFrom(...reasons) }),
  fc.record({ command: fc.constant('sendme' as const), streamId, bytes: fc.integer({ min: 1, max: EXIT_STREAM_WINDOW_BYTES }) }),
  fc.record({ command: fc.constant('verified' as const), streamId, bytes: fc.integer({ min: 1, max: 0xffff_ffff }) }),
);

/** A begin as raw bytes (u8 lengths, as on the wire), so a test can put in what the encoder would refuse. */
function rawBegin(trackers: string[]): Uint8Array {
  const w = new BinaryWriter().u8(16).u16(1).fixed(new Uint8Array(INFOHASH_BYTES), INFOHASH_BYTES).u8(trackers.length);
  for (const t of trackers) w.string(t, 255);
  return w.finish();
}

describe('exit stream wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeExitMessage, encode: encodeExitMessage, values: messages, maxRandomBytes: 512, runs: 500 });
  });

  it('carries a full data cell, and refuses empty or oversized data', () => {
    const full = encodeExitMessage({ command: 'data', streamId: 7, data: new Uint8Array(MAX_EXIT_DATA_BYTES).fill(1) });
    expect(decodeExitMessage(full)).toMatchObject({ command: 'data', streamId: 7 });
    expect(() => decodeExitMessage(new Uint8Array([...full, 0]))).toThrow(DecodeError);
    expect(() => decodeExitMessage(new Uint8Array([18, 0, 7]))).toThrow(/at least one byte/);
    expect(() => encodeExitMessage({ command: 'data', streamId: 7, data: new Uint8Array(0) })).toThrow(RangeError);
  });

  it('takes ws: and wss: trackers only, at most MAX_EXIT_TRACKERS of bounded length', () => {
    expect(decodeExitMessage(rawBegin(['wss://tracker.example/announce', 'ws://127.0.0.1:8000']))).toMatchObject({ trackers: ['wss://tracker.example/announce', 'ws://127.0.0.1:8000'] });
    for (const bad of ['http://tracker.example/announce', 'udp://tracker.example:80', 'https://tracker.example', 'javascript:alert(1)', 'ws://user:secret@tracker.example', 'wss://', 'not a url']) {
      expect(() => decodeExitMessage(rawBegin([bad])), bad).toThrow(DecodeError);
      expect(() => encodeExitMessage({ command: 'begin', streamId: 1, infoHash: new Uint8Array(INFOHASH_BYTES), trackers: [bad] }), bad).toThrow(RangeError);
    }
    const many = Array.from({ length: MAX_EXIT_TRACKERS + 1 }, (_, i) => `wss://t${i}.example`);
    expect(() => decodeExitMessage(rawBegin(many))).toThrow(DecodeError);
    const long = `wss://tracker.example/${'a'.repeat(MAX_TRACKER_URL_BYTES)}`;
    expect(() => decodeExitMessage(rawBegin([long]))).toThrow(DecodeError);
  });

  it('refuses stream id 0, unknown commands and reasons, and credit outside the window', () => {
    expect(() => decodeExitMessage(new Uint8Array([19, 0, 0, 0]))).toThrow(/stream id 0/);
    for (const command of [0, 15, 21, 255]) expect(() => decodeExitMessage(new Uint8Array([command, 0, 1, 0]))).toThrow(DecodeError);
    expect(() => decodeExitMessage(new Uint8Array([19, 0, 1, reasons.length]))).toThrow(DecodeError);
    expect(() => decodeExitMessage(new BinaryWriter().u8(20).u16(1).u32(0).finish())).toThrow(DecodeError);
    expect(() => decodeExitMessage(new BinaryWriter().u8(20).u16(1).u32(EXIT_STREAM_WINDOW_BYTES + 1).finish())).toThrow(DecodeError);
    expect(() => encodeExitMessage({ command: 'end', streamId: 0, reason: 'done' })).toThrow(RangeError);
  });

  it('never reads as a circuit probe message, nor a probe message as an exit message', () => {
    expect(() => decodeProbe(encodeExitMessage({ command: 'end', streamId: 1, reason: 'done' }))).toThrow(DecodeError);
    for (const m of [encodeProbe({ kind: 'fill', bytes: new Uint8Array(8) }), encodeProbe({ kind: 'fin' }), encodeProbe({ kind: 'count', received: 1n })]) {
      expect(() => decodeExitMessage(m)).toThrow(DecodeError);
    }
  });
});
