/** Test support for stream protocols: a Connection that hands out a prepared stream. */
import type { Connection, Stream } from '@libp2p/interface';

/** A Connection whose newStream returns `stream` and records the protocols asked for. */
export function connectionTo(stream: Stream, protocols: string[] = []): Connection {
  return {
    newStream: async (protocol: string | string[]) => {
      protocols.push(...[protocol].flat());
      return stream;
    },
  } as unknown as Connection;
}

/** An unsigned varint, as lpStream writes lengths. */
export function varint(n: number): Uint8Array {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 0x80);
  } while (n > 0);
  return new Uint8Array(out);
}

/** Resolves once the stream is finished at both ends (at once if it already is). */
export function finished(stream: Stream): Promise<void> {
  if (stream.status !== 'open' && stream.status !== 'closing') return Promise.resolve();
  return new Promise((resolve) => stream.addEventListener('close', () => resolve(), { once: true }));
}
