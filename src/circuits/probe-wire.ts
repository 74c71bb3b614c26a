/**
 * The circuit probe: a tiny application on top of a circuit's data cells, for
 * diagnostics and benchmarks. The originator sends filler, then `fin`; the far
 * end answers `count` with how many filler bytes reached it.
 *   kind u8 | body
 *     fill  1  any bytes
 *     fin   2  (empty)
 *     count 3  u64 bytes received
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';

export type ProbeMessage = { kind: 'fill'; bytes: Uint8Array } | { kind: 'fin' } | { kind: 'count'; received: bigint };

export function encodeProbe(m: ProbeMessage): Uint8Array {
  switch (m.kind) {
    case 'fill': {
      const out = new Uint8Array(1 + m.bytes.length);
      out[0] = 1;
      out.set(m.bytes, 1);
      return out;
    }
    case 'fin':
      return new Uint8Array([2]);
    case 'count':
      return new BinaryWriter(9).u8(3).u64(m.received).finish();
  }
}

export function decodeProbe(bytes: Uint8Array): ProbeMessage {
  const r = new BinaryReader(bytes);
  const kind = r.u8('probe kind');
  switch (kind) {
    case 1:
      return { kind: 'fill', bytes: r.fixed(r.remaining, 'fill') };
    case 2:
      r.end('fin');
      return { kind: 'fin' };
    case 3: {
      const received = r.u64('count');
      r.end('count');
      return { kind: 'count', received };
    }
    default:
      throw new DecodeError('unknown-type', `unknown probe message ${kind}`);
  }
}
