/** Small helpers over libp2p v3 message streams. */
import type { MessageStream } from '@libp2p/interface';

/** Sends with back-pressure: waits for the stream to drain when its buffer is full. */
export async function sendWithBackpressure(stream: MessageStream, data: Uint8Array, signal?: AbortSignal): Promise<void> {
  if (!stream.send(data)) await stream.onDrain(signal === undefined ? undefined : { signal });
}

export function chunkLength(chunk: Uint8Array | { byteLength: number }): number {
  return chunk.byteLength;
}
