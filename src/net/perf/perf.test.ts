/** The throughput probe over in-memory libp2p streams (streamPair: [outbound, inbound]). */
import { describe, expect, it } from 'vitest';
import { streamPair } from '@libp2p/utils';
import type { Stream } from '@libp2p/interface';
import { PERF_PROTOCOL } from '../protocols.ts';
import { handlePerfStream, PERF_CHUNK_BYTES, runPerf } from './perf.ts';
import { decodePerfHeader, encodePerfHeader, MAX_PERF_DOWNLOAD_BYTES, PERF_HEADER_BYTES } from './perf-wire.ts';
import { BinaryWriter } from '../../codec/binary.ts';
import { connectionTo } from '../test-support.ts';


/** A clock that advances by `step` on every reading. */
function ticking(step: number): () => number {
  let t = 0;
  return () => (t += step);
}

/** Everything the remote sends until it closes its end. */
async function readAll(stream: Stream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk instanceof Uint8Array ? chunk : chunk.subarray());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function finished(stream: Stream): Promise<void> {
  if (stream.status !== 'open' && stream.status !== 'closing') return Promise.resolve();
  return new Promise((resolve) => stream.addEventListener('close', () => resolve(), { once: true }));
}

describe('runPerf against handlePerfStream', () => {
  it.each([
    [0, 0],
    [1, 1],
    [300_000, 700_000],
    [2 * PERF_CHUNK_BYTES + 1, PERF_CHUNK_BYTES - 1],
  ])('uploads %d bytes and downloads exactly %d', async (up, down) => {
    const [outbound, inbound] = await streamPair();
    const served = handlePerfStream(inbound);
    const protocols: string[] = [];
    const result = await runPerf(connectionTo(outbound, protocols), up, down, ticking(5));
    await served;
    expect(protocols).toEqual([PERF_PROTOCOL]);
    expect(result).toEqual({ uploadBytes: up, downloadBytes: down, uploadMs: 5, downloadMs: 5 });
    await finished(inbound);
    expect(inbound.status).toBe('closed');
  });

  it('times the upload from start to half-close, and the download from there to the end', async () => {
    const [outbound, inbound] = await streamPair();
    const served = handlePerfStream(inbound);
    const readings = [1_000, 1_250, 1_600];
    const result = await runPerf(connectionTo(outbound), 10, 10, () => readings.shift()!);
    await served;
    expect(result.uploadMs).toBe(250);
    expect(result.downloadMs).toBe(350);
    expect(readings).toEqual([]); // exactly three readings
  });
});

describe('runPerf on the wire', () => {
  it('sends the header, then the upload, then half-closes; reads until the server closes', async () => {
    const [outbound, inbound] = await streamPair();
    const server = (async () => {
      const request = await readAll(inbound); // returns once the client half-closed
      const wanted = decodePerfHeader(request.subarray(0, PERF_HEADER_BYTES));
      inbound.send(new Uint8Array(wanted));
      await inbound.close();
      return { wanted, uploaded: request.length - PERF_HEADER_BYTES };
    })();
    const result = await runPerf(connectionTo(outbound), 5_000, 12_345, ticking(1));
    expect(await server).toEqual({ wanted: 12_345, uploaded: 5_000 });
    expect(result.downloadBytes).toBe(12_345);
  });

  it('fails when the server sends less than asked', async () => {
    const [outbound, inbound] = await streamPair();
    void (async () => {
      await readAll(inbound);
      inbound.send(new Uint8Array(10));
      await inbound.close();
    })();
    await expect(runPerf(connectionTo(outbound), 10, 1000, ticking(1))).rejects.toThrow('perf probe received 10 of 1000 bytes');
  });

  it('fails when the server sends more than asked', async () => {
    const [outbound, inbound] = await streamPair();
    void (async () => {
      await readAll(inbound);
      inbound.send(new Uint8Array(1100));
      await inbound.close();
    })();
    await expect(runPerf(connectionTo(outbound), 10, 1000, ticking(1))).rejects.toThrow('perf probe received 1100 of 1000 bytes');
  });

  it('fails, aborting its stream, when the server resets the stream', async () => {
    const [outbound, inbound] = await streamPair();
    void (async () => {
      await readAll(inbound);
      inbound.abort(new Error('server gave up'));
    })();
    await expect(runPerf(connectionTo(outbound), 10, 1000, ticking(1))).rejects.toThrow();
    await finished(outbound);
    expect(outbound.status).not.toBe('closed');
  });

  it('refuses a download size the protocol cannot carry, aborting the stream it opened', async () => {
    const [outbound] = await streamPair();
    await expect(runPerf(connectionTo(outbound), 0, MAX_PERF_DOWNLOAD_BYTES + 1, ticking(1))).rejects.toThrow(RangeError);
    expect(outbound.status).toBe('aborted');
  });
});

describe('handlePerfStream', () => {
  it('assembles a header split across messages, drains the upload, then sends zeros and closes', async () => {
    const [outbound, inbound] = await streamPair();
    const served = handlePerfStream(inbound);
    const header = encodePerfHeader(70_000);
    outbound.send(header.subarray(0, 3));
    outbound.send(header.subarray(3, 5));
    outbound.send(header.subarray(5));
    outbound.send(new Uint8Array(4096).fill(0xab)); // upload bytes are not mistaken for the header
    const reply = readAll(outbound);
    await outbound.close();
    const bytes = await reply;
    await served;
    expect(bytes.length).toBe(70_000);
    expect(bytes.every((b) => b === 0)).toBe(true);
  });

  it('sends nothing for a zero-byte request', async () => {
    const [outbound, inbound] = await streamPair();
    const served = handlePerfStream(inbound);
    outbound.send(encodePerfHeader(0));
    const reply = readAll(outbound);
    await outbound.close();
    expect((await reply).length).toBe(0);
    await served;
  });

  it('aborts, without throwing, a request over MAX_PERF_DOWNLOAD_BYTES', async () => {
    const [outbound, inbound] = await streamPair();
    const served = handlePerfStream(inbound);
    outbound.send(new BinaryWriter().u64(BigInt(MAX_PERF_DOWNLOAD_BYTES) + 1n).finish());
    const reply = readAll(outbound);
    await outbound.close().catch(() => {});
    await expect(served).resolves.toBeUndefined();
    expect(inbound.status).toBe('aborted');
    await expect(reply).rejects.toThrow();
  });

  it('aborts, without throwing, a stream that ends inside the header', async () => {
    const [outbound, inbound] = await streamPair();
    const served = handlePerfStream(inbound);
    outbound.send(new Uint8Array(PERF_HEADER_BYTES - 1));
    const reply = readAll(outbound);
    await outbound.close().catch(() => {});
    await expect(served).resolves.toBeUndefined();
    expect(inbound.status).toBe('aborted');
    await expect(reply).rejects.toThrow();
  });
});
