import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryWriter, DecodeError } from '../../codec/binary.ts';
import { checkDecoderProperties, mutated } from '../../codec/decoder-properties.ts';
import {
  decodePexResponse,
  encodePexResponse,
  MAX_ADDR_BYTES,
  MAX_PEER_ID_BYTES,
  MAX_PEX_ADDRS,
  MAX_PEX_FRAME_BYTES,
  MAX_PEX_PEERS,
  type PexEntry,
} from './pex-wire.ts';

function refusal(bytes: number[] | Uint8Array): DecodeError['reason'] {
  try {
    decodePexResponse(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (err) {
    if (err instanceof DecodeError) return err.reason;
    throw err;
  }
  throw new Error('the frame was accepted');
}

/** Valid entries: ids within the byte limit (a code point is at most 4 bytes), addresses within theirs. */
const validEntry: fc.Arbitrary<PexEntry> = fc.record({
  peerId: fc.string({ unit: 'binary', maxLength: MAX_PEER_ID_BYTES / 4 }),
  addrs: fc.array(fc.uint8Array({ maxLength: MAX_ADDR_BYTES }), { maxLength: MAX_PEX_ADDRS }),
});
const validResponse = fc.array(validEntry, { maxLength: 8 });

/** What the encoder promises to send for any input: the first peers, each with its first short-enough addresses. */
function withinLimits(entries: readonly PexEntry[]): PexEntry[] {
  return entries.slice(0, MAX_PEX_PEERS).map((e) => ({ peerId: e.peerId, addrs: e.addrs.filter((a) => a.length <= MAX_ADDR_BYTES).slice(0, MAX_PEX_ADDRS) }));
}

describe('pex wire format', () => {
  it('has the documented layout', () => {
    const frame = encodePexResponse([{ peerId: 'ab', addrs: [new Uint8Array([1, 2, 3])] }, { peerId: '', addrs: [] }]);
    expect(Array.from(frame)).toEqual([
      2, // peers
      2, 0x61, 0x62, 1, 3, 1, 2, 3, // "ab", one address of 3 bytes
      0, 0, // "", no addresses
    ]);
  });

  it('round-trips responses: empty, empty fields, non-ASCII ids, and fields at their limits', () => {
    const cases: PexEntry[][] = [
      [],
      [{ peerId: '', addrs: [] }],
      [{ peerId: '12D3KooWGqt8g7yUq3MZyoAnsmhugrvT7tN4F7xJhiMm5zDAM6Ae', addrs: [new Uint8Array([4, 127, 0, 0, 1])] }],
      [{ peerId: 'é'.repeat(MAX_PEER_ID_BYTES / 2), addrs: Array.from({ length: MAX_PEX_ADDRS }, (_, i) => new Uint8Array(MAX_ADDR_BYTES).fill(i)) }],
      Array.from({ length: MAX_PEX_PEERS }, (_, i) => ({ peerId: `peer-${i}`, addrs: [new Uint8Array([i])] })),
    ];
    for (const entries of cases) expect(decodePexResponse(encodePexResponse(entries))).toEqual(entries);
  });

  it('sends at most MAX_PEX_PEERS peers and MAX_PEX_ADDRS addresses each, skipping over-long addresses first', () => {
    const long = new Uint8Array(MAX_ADDR_BYTES + 1);
    const many = Array.from({ length: MAX_PEX_PEERS + 5 }, (_, i) => ({
      peerId: `p${i}`,
      addrs: [long, ...Array.from({ length: MAX_PEX_ADDRS + 2 }, (_, j) => new Uint8Array([i, j]))],
    }));
    const decoded = decodePexResponse(encodePexResponse(many));
    expect(decoded).toHaveLength(MAX_PEX_PEERS);
    expect(decoded.map((e) => e.peerId)).toEqual(many.slice(0, MAX_PEX_PEERS).map((e) => e.peerId));
    // The over-long address is dropped, and does not use up one of the MAX_PEX_ADDRS slots.
    expect(decoded[3]!.addrs).toEqual(Array.from({ length: MAX_PEX_ADDRS }, (_, j) => new Uint8Array([3, j])));
  });

  it('refuses to encode a peer id over MAX_PEER_ID_BYTES (counted in UTF-8 bytes)', () => {
    expect(() => encodePexResponse([{ peerId: 'x'.repeat(MAX_PEER_ID_BYTES + 1), addrs: [] }])).toThrow(RangeError);
    expect(() => encodePexResponse([{ peerId: 'é'.repeat(MAX_PEER_ID_BYTES / 2) + 'x', addrs: [] }])).toThrow(RangeError);
    expect(() => encodePexResponse([{ peerId: 'x'.repeat(MAX_PEER_ID_BYTES), addrs: [] }])).not.toThrow();
  });

  it('bounds frames by MAX_PEX_FRAME_BYTES, which the largest possible frame reaches exactly', () => {
    const largest = Array.from({ length: MAX_PEX_PEERS }, () => ({
      peerId: 'p'.repeat(MAX_PEER_ID_BYTES),
      addrs: Array.from({ length: MAX_PEX_ADDRS }, () => new Uint8Array(MAX_ADDR_BYTES)),
    }));
    const frame = encodePexResponse(largest);
    expect(frame.length).toBe(MAX_PEX_FRAME_BYTES);
    expect(decodePexResponse(frame)).toHaveLength(MAX_PEX_PEERS);
  });
});

describe('pex decoder refusals', () => {
  const one = (...rest: number[]): number[] => [1, 1, 0x61, ...rest]; // one peer called "a"

  it.each([
    ['an empty frame', [], 'truncated'],
    ['more peers than MAX_PEX_PEERS', [MAX_PEX_PEERS + 1], 'too-long'],
    ['a count of 255 with nothing after it', [0xff], 'too-long'],
    ['a peer id longer than MAX_PEER_ID_BYTES', [1, MAX_PEER_ID_BYTES + 1, ...new Array(MAX_PEER_ID_BYTES + 1).fill(0x61), 0], 'too-long'],
    ['a peer id that is not UTF-8', [1, 1, 0xff, 0], 'invalid-value'],
    ['a cut peer id', [1, 5, 0x61], 'truncated'],
    ['a missing address count', one(), 'truncated'],
    ['more addresses than MAX_PEX_ADDRS', one(MAX_PEX_ADDRS + 1), 'too-long'],
    ['a cut address', one(1, 5, 1, 2), 'truncated'],
    ['fewer peers than announced', [2, ...one(0).slice(1)], 'truncated'],
    ['bytes after the last peer', [...one(0), 0], 'trailing-bytes'],
  ] as const)('refuses %s as %s', (_, frame, reason) => {
    expect(refusal([...frame])).toBe(reason);
  });

  it('accepts an address of exactly MAX_ADDR_BYTES (the most a u8 length can declare)', () => {
    expect(MAX_ADDR_BYTES).toBe(255);
    const frame = new BinaryWriter().u8(1).string('a', MAX_PEER_ID_BYTES).u8(1).u8(255).fixed(new Uint8Array(255), 255).finish();
    expect(decodePexResponse(frame)[0]!.addrs[0]).toHaveLength(255);
  });
});

describe('pex wire properties', () => {
  it('round-trips valid responses; random and mutated frames decode or raise DecodeError only', () => {
    checkDecoderProperties({ decode: decodePexResponse, encode: encodePexResponse, values: validResponse, runs: 400 });
  });

  it('frames any input within limits: never over MAX_PEX_FRAME_BYTES, decoding to the capped input', () => {
    const anyEntry = fc.record({
      peerId: fc.string({ unit: 'binary', maxLength: MAX_PEER_ID_BYTES / 4 }),
      addrs: fc.array(fc.uint8Array({ maxLength: MAX_ADDR_BYTES + 40 }), { maxLength: MAX_PEX_ADDRS + 4 }),
    });
    fc.assert(
      fc.property(fc.array(anyEntry, { maxLength: MAX_PEX_PEERS + 6 }), (entries) => {
        const frame = encodePexResponse(entries);
        expect(frame.length).toBeLessThanOrEqual(MAX_PEX_FRAME_BYTES);
        expect(decodePexResponse(frame)).toEqual(withinLimits(entries));
      }),
      { numRuns: 100 },
    );
  });

  const corrupted = fc.oneof(fc.uint8Array({ maxLength: 4096 }), mutated(validResponse.map(encodePexResponse)));

  it('accepts only canonical frames: whatever decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(corrupted, (frame) => {
        let entries: PexEntry[];
        try {
          entries = decodePexResponse(frame);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
          return;
        }
        expect(encodePexResponse(entries)).toEqual(frame);
      }),
      { numRuns: 1000 },
    );
  });

  it('never produces more than its input can describe (no amplification, no unbounded loop)', () => {
    fc.assert(
      fc.property(corrupted, (frame) => {
        try {
          const entries = decodePexResponse(frame);
          // Each peer costs at least 2 bytes (id length, address count); each address at least 1.
          expect(entries.length * 2 + entries.reduce((n, e) => n + e.addrs.length, 0)).toBeLessThanOrEqual(frame.length);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the BOM and any other code point of a peer id', () => {
    const entries = [{ peerId: '\uFEFF12D3KooW', addrs: [] }];
    expect(decodePexResponse(encodePexResponse(entries))).toEqual(entries);
  });
});
