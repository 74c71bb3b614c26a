import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import {
  ANNOUNCEMENT_BYTES,
  ANNOUNCEMENT_FLAGS_OFFSET,
  decodeAnnouncement,
  decodeAnnouncementFrame,
  encodeAnnouncement,
  encodeAnnouncementFrame,
  FLAG_EXIT,
  FLAG_RELAYING,
  MAX_ANNOUNCEMENT_FRAME_BYTES,
  MAX_ANNOUNCEMENTS_PER_FRAME,
  type AnnouncementFrame,
  type RelayAnnouncement,
} from './relay-announcement-wire.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const announcement = fc
  .record({
    publicKey: bytes(32),
    issuedAt: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    relaying: fc.boolean(),
    exit: fc.boolean(),
    capKiBps: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    signature: bytes(64),
  })
  .map((a) => ({ ...a, exit: a.exit && a.relaying }));
const frames: fc.Arbitrary<AnnouncementFrame> = fc.record({ replyWanted: fc.boolean(), announcements: fc.array(announcement, { maxLength: 4 }) });
const blank = (over: Partial<RelayAnnouncement> = {}): RelayAnnouncement => ({ publicKey: new Uint8Array(32), issuedAt: 1n, relaying: true, exit: false, capKiBps: 0, signature: new Uint8Array(64), ...over });
/** Offset of the first announcement's flags byte in a frame (after replyWanted and count). */
const FLAGS_AT = 2 + ANNOUNCEMENT_FLAGS_OFFSET;

describe('relay announcement wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeAnnouncementFrame, encode: encodeAnnouncementFrame, values: frames, maxRandomBytes: 2 * ANNOUNCEMENT_BYTES });
  });

  it('a full frame fits the reader limit; more announcements or unknown versions and flags are refused', () => {
    const full = encodeAnnouncementFrame({ replyWanted: true, announcements: Array.from({ length: MAX_ANNOUNCEMENTS_PER_FRAME }, () => blank({ exit: true })) });
    expect(full.length).toBe(MAX_ANNOUNCEMENT_FRAME_BYTES);
    expect(() => decodeAnnouncementFrame(new Uint8Array([0, MAX_ANNOUNCEMENTS_PER_FRAME + 1]))).toThrow(DecodeError);
    const one = encodeAnnouncementFrame({ replyWanted: false, announcements: [blank({ relaying: false })] });
    // A bad reply flag, a version-1 announcement, an unknown flag bit.
    for (const [at, value] of [[0, 2], [2, 1], [FLAGS_AT, 4], [FLAGS_AT, 0x80]] as const) {
      const bad = one.slice();
      bad[at] = value;
      expect(() => decodeAnnouncementFrame(bad)).toThrow(DecodeError);
    }
  });

  it('carries the exit flag in the flags byte, and refuses an exit that does not relay', () => {
    const exit = encodeAnnouncementFrame({ replyWanted: false, announcements: [blank({ exit: true })] });
    expect(exit[FLAGS_AT]).toBe(FLAG_RELAYING | FLAG_EXIT);
    expect(decodeAnnouncementFrame(exit).announcements[0]).toMatchObject({ relaying: true, exit: true });
    const exitOnly = exit.slice();
    exitOnly[FLAGS_AT] = FLAG_EXIT;
    expect(() => decodeAnnouncementFrame(exitOnly)).toThrow(/must also announce relaying/);
    expect(() => encodeAnnouncementFrame({ replyWanted: false, announcements: [blank({ relaying: false, exit: true })] })).toThrow(RangeError);
  });

  it('carries single announcements for the gossip topic, the same bytes as in a frame, and refuses trailing bytes', () => {
    checkDecoderProperties({ decode: decodeAnnouncement, encode: encodeAnnouncement, values: announcement, maxRandomBytes: 2 * ANNOUNCEMENT_BYTES });
    const a = blank({ exit: true, capKiBps: 512 });
    expect(encodeAnnouncement(a)).toEqual(encodeAnnouncementFrame({ replyWanted: false, announcements: [a] }).subarray(2));
    expect(encodeAnnouncement(a).length).toBe(ANNOUNCEMENT_BYTES);
    expect(() => decodeAnnouncement(new Uint8Array([...encodeAnnouncement(a), 0]))).toThrow(DecodeError);
  });
});
