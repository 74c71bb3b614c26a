import { describe, expect, it } from 'vitest';
import { lpStream, streamPair } from '@libp2p/utils';
import type { Connection, Stream } from '@libp2p/interface';
import { answerPex, requestPex } from './pex.ts';
import { multiaddr } from '@multiformats/multiaddr';

const PEER = '12D3KooWGqt8g7yUq3MZyoAnsmhugrvT7tN4F7xJhiMm5zDAM6Ae';
const ADDR = `/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa/p2p-circuit/webrtc/p2p/${PEER}`;

function connectionTo(stream: Stream): Connection {
  return { newStream: async () => stream } as unknown as Connection;
}

describe('peer exchange protocol', () => {
  it('delivers the answering peer\'s neighbours, dropping malformed entries', async () => {
    const [outbound, inbound] = await streamPair();
    const answered = answerPex(inbound, [
      { peerId: PEER, addrs: [multiaddr(ADDR).bytes] },
      { peerId: 'not-a-peer-id', addrs: [] },
      { peerId: PEER, addrs: [new Uint8Array([0xff, 0xff])] },
    ]);
    const learned = await requestPex(connectionTo(outbound));
    await answered;
    expect(learned.map((p) => [p.peerId.toString(), p.addrs.map((a) => a.toString())])).toEqual([[PEER, [ADDR]]]);
  });

  it('rejects a malformed frame', async () => {
    const [outbound, inbound] = await streamPair();
    void lpStream(inbound).write(new Uint8Array([200, 1, 2, 3])).then(() => inbound.close());
    await expect(requestPex(connectionTo(outbound))).rejects.toThrow();
  });
});
