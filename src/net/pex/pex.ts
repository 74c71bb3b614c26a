/** Peer exchange over libp2p streams: tell a peer which peers we are directly connected to. */
import type { Connection, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { lpStream } from '@libp2p/utils';
import type { PeerId } from '@libp2p/interface';
import { PEX_PROTOCOL } from '../protocols.ts';
import { decodePexResponse, encodePexResponse, MAX_PEX_FRAME_BYTES, type PexEntry } from './pex-wire.ts';

/** A peer that does not answer within this is skipped; PEX is an optimisation, not a dependency. */
export const PEX_TIMEOUT_MS = 10_000;

export interface LearnedPeer {
  peerId: PeerId;
  addrs: Multiaddr[];
}

export async function answerPex(stream: Stream, entries: readonly PexEntry[]): Promise<void> {
  try {
    await lpStream(stream, { maxDataLength: MAX_PEX_FRAME_BYTES }).write(encodePexResponse(entries));
    await stream.close();
  } catch (err) {
    stream.abort(err as Error);
  }
}

/**
 * Asks a peer for its neighbours (or, with RELAYS_PROTOCOL, a relay for the
 * relays it federates with). Malformed entries are dropped, a malformed frame
 * fails the request.
 */
export async function requestPex(connection: Connection, protocol: string = PEX_PROTOCOL): Promise<LearnedPeer[]> {
  const signal = AbortSignal.timeout(PEX_TIMEOUT_MS);
  const stream = await connection.newStream(protocol, { signal });
  try {
    const frame = await lpStream(stream, { maxDataLength: MAX_PEX_FRAME_BYTES }).read({ signal });
    await stream.close({ signal });
    const learned: LearnedPeer[] = [];
    for (const entry of decodePexResponse(frame.subarray())) {
      try {
        learned.push({ peerId: peerIdFromString(entry.peerId), addrs: entry.addrs.map((a) => multiaddr(a)) });
      } catch {
        // One bad entry (unparseable id or address) does not spoil the rest.
      }
    }
    return learned;
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  }
}
