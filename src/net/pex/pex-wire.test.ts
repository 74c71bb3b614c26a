import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryWriter, DecodeError } from '../../codec/binary.ts';
import { checkDecoderProperties } from '../../codec/decoder-properties.ts';
import { decodePexResponse, encodePexResponse, MAX_ADDR_BYTES, MAX_PEX_ADDRS, MAX_PEX_FRAME_BYTES, MAX_PEX_PEERS, type PexEntry } from './pex-wire.ts';

const entry: fc.Arbitrary<PexEntry> = fc.record({
  peerId: fc.string({ minLength: 1, maxLength: 60 }),
  addrs: fc.array(fc.uint8Array({ minLength: 1, maxLength: 120 }), { maxLength: MAX_PEX_ADDRS }),
});

describe('pex wire format', () => {
  it('round-trips a response', () => {
    const entries = [{ peerId: '12D3KooWabc', addrs: [new Uint8Array([1, 2, 3])] }, { peerId: 'x', addrs: [] }];
    expect(decodePexResponse(encodePexResponse(entries))).toEqual(entries);
  });

  it('truncates to its limits when encoding', () => {
    const many = Array.from({ length: MAX_PEX_PEERS + 5 }, (_, i) => ({
      peerId: `p${i}`,
      addrs: [...Array.from({ length: MAX_PEX_ADDRS + 2 }, () => new Uint8Array(10)), new Uint8Array(MAX_ADDR_BYTES + 1)],
    }));
    const decoded = decodePexResponse(encodePexResponse(many));
    expect(decoded).toHaveLength(MAX_PEX_PEERS);
    expect(decoded[0]!.addrs).toHaveLength(MAX_PEX_ADDRS);
  });

  it('refuses frames declaring more peers or addresses than allowed', () => {
    expect(() => decodePexResponse(new Uint8Array([MAX_PEX_PEERS + 1]))).toThrow(DecodeError);
    const tooManyAddrs = new BinaryWriter().u8(1).string('p', 128).u8(MAX_PEX_ADDRS + 1).finish();
    expect(() => decodePexResponse(tooManyAddrs)).toThrow(DecodeError);
  });

  it('never encodes more than MAX_PEX_FRAME_BYTES', () => {
    const biggest = Array.from({ length: MAX_PEX_PEERS }, () => ({ peerId: 'p'.repeat(128), addrs: Array.from({ length: MAX_PEX_ADDRS }, () => new Uint8Array(MAX_ADDR_BYTES)) }));
    expect(encodePexResponse(biggest).length).toBeLessThanOrEqual(MAX_PEX_FRAME_BYTES);
  });

  it('decodes random and mutated bytes or refuses them with DecodeError', () => {
    checkDecoderProperties({ decode: decodePexResponse, encode: encodePexResponse, values: fc.array(entry, { maxLength: 6 }) });
  });
});
