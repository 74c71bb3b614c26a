import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../codec/binary.ts';
import { checkDecoderProperties } from '../codec/decoder-properties.ts';
import { ANNOUNCEMENT_BYTES, decodeAnnouncementFrame, encodeAnnouncementFrame, MAX_ANNOUNCEMENT_FRAME_BYTES, MAX_ANNOUNCEMENTS_PER_FRAME, type AnnouncementFrame } from './relay-announcement-wire.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const announcement = fc.record({
  publicKey: bytes(32),
  issuedAt: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  relaying: fc.boolean(),
  capKiBps: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  signature: bytes(64),
});
const frames: fc.Arbitrary<AnnouncementFrame> = fc.record({ replyWanted: fc.boolean(), announcements: fc.array(announcement, { maxLength: 4 }) });

describe('relay announcement wire format', () => {
  it('round-trips, and decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodeAnnouncementFrame, encode: encodeAnnouncementFrame, values: frames, maxRandomBytes: 2 * ANNOUNCEMENT_BYTES });
  });

  it('a full frame fits the reader limit; more announcements or unknown versions and flags are refused', () => {
    const full = encodeAnnouncementFrame({ replyWanted: true, announcements: Array.from({ length: MAX_ANNOUNCEMENTS_PER_FRAME }, () => ({ publicKey: new Uint8Array(32), issuedAt: 1n, relaying: true, capKiBps: 0, signature: new Uint8Array(64) })) });
    expect(full.length).toBe(MAX_ANNOUNCEMENT_FRAME_BYTES);
    expect(() => decodeAnnouncementFrame(new Uint8Array([0, MAX_ANNOUNCEMENTS_PER_FRAME + 1]))).toThrow(DecodeError);
    const one = encodeAnnouncementFrame({ replyWanted: false, announcements: [{ publicKey: new Uint8Array(32), issuedAt: 1n, relaying: false, capKiBps: 0, signature: new Uint8Array(64) }] });
    for (const [at, value] of [[0, 2], [2, 2], [2 + 1 + 32 + 8, 2]] as const) {
      const bad = one.slice();
      bad[at] = value;
      expect(() => decodeAnnouncementFrame(bad)).toThrow(DecodeError);
    }
  });
});
