import { describe, expect, it } from 'vitest';
import { streamPair } from '@libp2p/utils';
import type { Connection } from '@libp2p/interface';
import { handlePerfStream, runPerf } from './perf.ts';

describe('throughput probe', () => {
  it('uploads, then downloads exactly the requested bytes', async () => {
    const [outbound, inbound] = await streamPair();
    const served = handlePerfStream(inbound);
    let t = 0;
    const result = await runPerf({ newStream: async () => outbound } as unknown as Connection, 300_000, 700_000, () => (t += 5));
    await served;
    expect(result.uploadBytes).toBe(300_000);
    expect(result.downloadBytes).toBe(700_000);
    expect(result.downloadMs).toBeGreaterThan(0);
  });

  it('fails when the server sends less than asked', async () => {
    const [outbound, inbound] = await streamPair();
    // A server that drains the request and closes without answering.
    void (async () => {
      for await (const _ of inbound) void _;
      await inbound.close();
    })();
    await expect(runPerf({ newStream: async () => outbound } as unknown as Connection, 10, 1000, () => 0)).rejects.toThrow('received 0 of 1000');
  });
});
