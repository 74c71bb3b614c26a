/** Peer exchange over in-memory libp2p streams (streamPair: [outbound, inbound]). */
import { describe, expect, it } from 'vitest';
import { lpStream, streamPair } from '@libp2p/utils';
import type { Connection, Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { DecodeError } from '../../codec/binary.ts';
import { PEX_PROTOCOL } from '../protocols.ts';
import { answerPex, requestPex } from './pex.ts';
import { decodePexResponse, encodePexResponse, MAX_PEER_ID_BYTES, MAX_PEX_FRAME_BYTES, MAX_PEX_PEERS, type PexEntry } from './pex-wire.ts';
import { connectionTo, finished, varint } from '../test-support.ts';

const RELAY = '12D3KooWDczDgB9rFdQxNJJF6sKmFhMzpfo1k74i7cZDy6pYTyCa';
const PEER_1 = '12D3KooWGqt8g7yUq3MZyoAnsmhugrvT7tN4F7xJhiMm5zDAM6Ae';
const PEER_2 = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq';
const circuitTo = (peer: string): string => `/ip4/127.0.0.1/tcp/9090/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${peer}`;




/** The remote side of a PEX exchange that answers with raw bytes. */
async function answerWith(inbound: Stream, frame: Uint8Array): Promise<void> {
  await lpStream(inbound).write(frame);
  await inbound.close();
}

describe('answerPex', () => {
  it('writes one length-prefixed frame with the entries, then closes', async () => {
    const [outbound, inbound] = await streamPair();
    const entries: PexEntry[] = [
      { peerId: PEER_1, addrs: [multiaddr(circuitTo(PEER_1)).bytes] },
      { peerId: PEER_2, addrs: [] },
    ];
    const answered = answerPex(inbound, entries);
    const reader = lpStream(outbound, { maxDataLength: MAX_PEX_FRAME_BYTES });
    const frame = await reader.read();
    expect(decodePexResponse(frame.subarray())).toEqual(entries);
    // Nothing follows the frame: the answering side has closed its end.
    await expect(reader.read()).rejects.toThrow(/end|EOF|closed/i);
    await outbound.close();
    await answered;
    await finished(inbound);
    expect(inbound.status).toBe('closed');
  });

  it('sends at most MAX_PEX_PEERS entries', async () => {
    const [outbound, inbound] = await streamPair();
    const many = Array.from({ length: MAX_PEX_PEERS + 10 }, (_, i) => ({ peerId: `peer-${i}`, addrs: [] }));
    const answered = answerPex(inbound, many);
    const frame = await lpStream(outbound).read();
    expect(decodePexResponse(frame.subarray())).toHaveLength(MAX_PEX_PEERS);
    await outbound.close();
    await answered;
  });

  it('aborts the stream instead of throwing when the entries cannot be encoded', async () => {
    const [outbound, inbound] = await streamPair();
    await expect(answerPex(inbound, [{ peerId: 'x'.repeat(MAX_PEER_ID_BYTES + 1), addrs: [] }])).resolves.toBeUndefined();
    await finished(inbound);
    expect(inbound.status).toBe('aborted');
    await expect(requestPex(connectionTo(outbound))).rejects.toThrow();
  });
});

describe('requestPex', () => {
  it('opens a PEX stream and returns the answering peer\'s neighbours as PeerIds and multiaddrs', async () => {
    const [outbound, inbound] = await streamPair();
    const protocols: string[] = [];
    const answered = answerPex(inbound, [
      { peerId: PEER_1, addrs: [multiaddr(circuitTo(PEER_1)).bytes] },
      { peerId: PEER_2, addrs: [multiaddr(circuitTo(PEER_2)).bytes, multiaddr(`/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER_2}`).bytes] },
    ]);
    const learned = await requestPex(connectionTo(outbound, protocols));
    await answered;
    expect(protocols).toEqual([PEX_PROTOCOL]);
    expect(learned.map((p) => [p.peerId.toString(), p.addrs.map((a) => a.toString())])).toEqual([
      [PEER_1, [circuitTo(PEER_1)]],
      [PEER_2, [circuitTo(PEER_2), `/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER_2}`]],
    ]);
    expect(outbound.status).toBe('closed');
  });

  it('returns nothing for an empty answer', async () => {
    const [outbound, inbound] = await streamPair();
    const answered = answerPex(inbound, []);
    await expect(requestPex(connectionTo(outbound))).resolves.toEqual([]);
    await answered;
  });

  it('drops entries with an unparseable peer id or address, keeping the rest', async () => {
    const [outbound, inbound] = await streamPair();
    const answered = answerPex(inbound, [
      { peerId: 'not-a-peer-id', addrs: [] },
      { peerId: PEER_1, addrs: [multiaddr(circuitTo(PEER_1)).bytes] },
      { peerId: PEER_2, addrs: [new Uint8Array([0xff, 0xff])] },
    ]);
    const learned = await requestPex(connectionTo(outbound));
    await answered;
    expect(learned.map((p) => p.peerId.toString())).toEqual([PEER_1]);
  });

  it('rejects a malformed frame with DecodeError, leaving no stream open', async () => {
    const [outbound, inbound] = await streamPair();
    void answerWith(inbound, new Uint8Array([MAX_PEX_PEERS + 1, 1, 2, 3]));
    const err = await requestPex(connectionTo(outbound)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toBe('too-long');
    await finished(outbound);
    expect(['closed', 'aborted']).toContain(outbound.status);
  });

  it('rejects a frame with bytes after the last entry', async () => {
    const [outbound, inbound] = await streamPair();
    void answerWith(inbound, new Uint8Array([...encodePexResponse([{ peerId: PEER_1, addrs: [] }]), 0]));
    const err = await requestPex(connectionTo(outbound)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toBe('trailing-bytes');
  });

  it('rejects a frame announced longer than MAX_PEX_FRAME_BYTES without waiting for its body', async () => {
    const [outbound, inbound] = await streamPair();
    // Only the length prefix is sent, and the stream stays open.
    inbound.send(varint(MAX_PEX_FRAME_BYTES + 1));
    await expect(requestPex(connectionTo(outbound))).rejects.toThrow(/length/i);
    expect(outbound.status).toBe('aborted');
  });

  it('rejects when the peer closes without answering', async () => {
    const [outbound, inbound] = await streamPair();
    void inbound.close();
    await expect(requestPex(connectionTo(outbound))).rejects.toThrow();
  });

  it('rejects when the peer resets the stream mid-frame', async () => {
    const [outbound, inbound] = await streamPair();
    const frame = encodePexResponse([{ peerId: PEER_1, addrs: [multiaddr(circuitTo(PEER_1)).bytes] }]);
    inbound.send(new Uint8Array([...varint(frame.length), ...frame.subarray(0, 10)]));
    const pending = requestPex(connectionTo(outbound));
    inbound.abort(new Error('peer went away'));
    await expect(pending).rejects.toThrow();
  });

  it('rejects when the peer does not speak PEX', async () => {
    const refusing = { newStream: async () => { throw new Error('protocol selection failed'); } } as unknown as Connection;
    await expect(requestPex(refusing)).rejects.toThrow('protocol selection failed');
  });
});
