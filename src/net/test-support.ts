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
