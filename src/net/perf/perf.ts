/** The throughput probe over a libp2p stream: server handler and client. */
import type { Connection, Stream } from '@libp2p/interface';
import { PERF_PROTOCOL } from '../protocols.ts';
import { sendWithBackpressure } from '../stream-io.ts';
import { decodePerfHeader, encodePerfHeader, PERF_HEADER_BYTES } from './perf-wire.ts';

/** Below the 256 KiB WebRTC message limit once libp2p framing is added; big enough to amortise per-message cost. */
export const PERF_CHUNK_BYTES = 192 * 1024;

export interface PerfResult {
  uploadBytes: number;
  downloadBytes: number;
  uploadMs: number;
  downloadMs: number;
}

async function writeZeros(stream: Stream, total: number, signal?: AbortSignal): Promise<void> {
  const chunk = new Uint8Array(Math.min(PERF_CHUNK_BYTES, Math.max(total, 1)));
  for (let sent = 0; sent < total; sent += chunk.length) {
    const n = Math.min(chunk.length, total - sent);
    await sendWithBackpressure(stream, n === chunk.length ? chunk : chunk.subarray(0, n), signal);
  }
}

/** Serves one probe: reads the header and drains the upload, then sends back what was asked. */
export async function handlePerfStream(stream: Stream): Promise<void> {
  const header = new Uint8Array(PERF_HEADER_BYTES);
  let headerFill = 0;
  try {
    for await (const chunk of stream) {
      const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
      const take = Math.min(PERF_HEADER_BYTES - headerFill, bytes.length);
      header.set(bytes.subarray(0, take), headerFill);
      headerFill += take;
    }
    if (headerFill < PERF_HEADER_BYTES) throw new Error('perf stream ended before its header');
    await writeZeros(stream, decodePerfHeader(header));
    await stream.close();
  } catch (err) {
    stream.abort(err as Error);
  }
}

export async function runPerf(connection: Connection, uploadBytes: number, downloadBytes: number, now: () => number, signal?: AbortSignal): Promise<PerfResult> {
  const stream = await connection.newStream(PERF_PROTOCOL, signal === undefined ? {} : { signal });
  try {
    const start = now();
    await sendWithBackpressure(stream, encodePerfHeader(downloadBytes), signal);
    await writeZeros(stream, uploadBytes, signal);
    await stream.close(signal === undefined ? {} : { signal });
    const uploaded = now();
    let received = 0;
    for await (const chunk of stream) received += chunk.byteLength;
    const done = now();
    if (received !== downloadBytes) throw new Error(`perf probe received ${received} of ${downloadBytes} bytes`);
    return { uploadBytes, downloadBytes, uploadMs: uploaded - start, downloadMs: done - uploaded };
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  }
}
