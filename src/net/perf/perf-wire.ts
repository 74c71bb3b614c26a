/**
 * Throughput probe wire format (/trustmesh/perf/1.0.0), after libp2p's perf
 * protocol: the client writes a u64 (how many bytes it wants back), then
 * uploads any number of bytes and half-closes; the server counts what arrived,
 * then sends the requested bytes and closes.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../../codec/binary.ts';

export const PERF_HEADER_BYTES = 8;
/** One probe moves at most 1 GiB back, so a request cannot keep a peer busy for long. */
export const MAX_PERF_DOWNLOAD_BYTES = 1024 ** 3;

export function encodePerfHeader(downloadBytes: number): Uint8Array {
  if (!Number.isSafeInteger(downloadBytes) || downloadBytes < 0 || downloadBytes > MAX_PERF_DOWNLOAD_BYTES) {
    throw new RangeError(`a perf probe downloads 0..${MAX_PERF_DOWNLOAD_BYTES} bytes`);
  }
  return new BinaryWriter(PERF_HEADER_BYTES).u64(BigInt(downloadBytes)).finish();
}

export function decodePerfHeader(bytes: Uint8Array): number {
  const r = new BinaryReader(bytes);
  const n = r.u64('perf header');
  r.end('perf header');
  if (n > BigInt(MAX_PERF_DOWNLOAD_BYTES)) throw new DecodeError('too-long', `perf probe asks for ${n} bytes, over ${MAX_PERF_DOWNLOAD_BYTES}`);
  return Number(n);
}
