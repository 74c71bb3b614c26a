/**
 * Glue: the relay's answers to "who is here" (PEX), the relay step of a tab's
 * walk. A tab asks on connecting, when its reservation lands, and every 10 s
 * while it has fewer neighbours than it aims for (src/net/peer-service.ts), and
 * is told up to half from the relays we federate with, reached through them, so
 * walks cross relays. A federated relay asks every FEDERATED_SAMPLE_MS on
 * RELAY_PEERS_PROTOCOL and is told our own peers only: a sample is never passed
 * on as ours, whether or not we are configured with the relay that asks.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2';
import { answerPex } from '../src/net/pex/pex.ts';
import { randomSample } from '../src/net/random-sample.ts';
import type { Federation } from './federation.ts';
import { RELAY_PEX, WindowCounter, type Refusals } from './limits.ts';

export interface RelayPexDeps {
  node: Libp2p<{ relay: CircuitRelayService }>;
  federation: Pick<Federation, 'samplePeers'>;
  refusals: Refusals;
  now: () => number;
  random: () => number;
}

type Handler = (stream: Stream, connection: Connection) => void | Promise<void>;

/** Stream handlers for PEX_PROTOCOL (tabs) and RELAY_PEERS_PROTOCOL (federated relays), one budget per connection for both. */
export function relayPexHandlers(d: RelayPexDeps): { pex: Handler; ownPeers: Handler } {
  const answers = new WindowCounter<string>(RELAY_PEX.answersPerConnection.count, RELAY_PEX.answersPerConnection.windowMs, d.now);
  // The reserved peers as a list, rebuilt at most once per listAgeMs: a thousand tabs asking every
  // 10 s would otherwise walk every reservation a hundred times a second.
  let reserved: string[] = [];
  let listedAt = Number.NEGATIVE_INFINITY;
  const ours = (count: number, asker: string): string[] => {
    if (d.now() - listedAt >= RELAY_PEX.listAgeMs) {
      reserved = [...d.node.services.relay.reservations.keys()].map((id) => id.toString());
      listedAt = d.now();
    }
    // One more than named, so that leaving the asker out still leaves enough.
    return randomSample(reserved, count + 1, d.random).filter((id) => id !== asker).slice(0, count);
  };
  const answer = (withFederated: boolean): Handler => (stream, connection) => {
    if (!answers.take(connection.id)) {
      d.refusals.pexAnswers++;
      return void stream.abort(new Error('PEX asked too often on this connection'));
    }
    const asker = connection.remotePeer.toString();
    const elsewhere = withFederated ? d.federation.samplePeers(Math.floor(RELAY_PEX.peers / 2), asker) : [];
    const own = ours(RELAY_PEX.peers - elsewhere.length, asker).map((peerId) => ({ peerId, addrs: [] as Uint8Array[] }));
    return answerPex(stream, [...own, ...elsewhere.map((p) => ({ peerId: p.peerId, addrs: p.addrs.map((a) => a.bytes) }))]);
  };
  return { pex: answer(true), ownPeers: answer(false) };
}
