/**
 * Browser glue: starts the peer stack of a tab in two steps, the network (libp2p, the ledger,
 * reputation), then, once it settled (service-start.ts), WebTorrent sharing, circuits, exits,
 * discovery and mining. app-session.ts reaches this module only
 * by dynamic import, after the shell has rendered "Starting your peer…", so the
 * app's first load carries none of it (issue #14's first-load budget; see
 * `npm run size`). Outside this file, import only types from these services.
 */
import type { Identity } from '../identity/identity.ts';
import type { NetConfig } from '../net/net-config.ts';
import { PeerService } from '../net/peer-service.ts';
import { keyedPeer } from '../net/direct.ts';
import { peerIdFromString } from '@libp2p/peer-id';
import { startLedger } from './ledger-runtime.ts';
import { LEDGER_GOSSIP_TOPIC } from '../ledger/ledger-gossip-wire.ts';
import { RELAY_ANNOUNCEMENT_TOPIC } from '../circuits/relay-announcement-wire.ts';
import { SWARM_RECORD_TOPIC } from '../discovery/discovery-wire.ts';
import { SharingService } from '../sharing/sharing-service.ts';
import { CircuitService } from '../circuits/circuit-service.ts';
import { HiddenSwarms } from '../circuits/hidden-swarms.ts';
import { ExitService } from '../exits/exit-service.ts';
import { DiscoveryService } from '../discovery/discovery-service.ts';
import { Miner } from '../mining/miner.ts';
import { toHex } from '../codec/bytes.ts';
import { judgingOf, startReputation } from './reputation-runtime.ts';
import type { FaultSeams } from './fault-seams.ts';
import { markNetworkSteps, markStartup } from './startup-timeline.ts';
import type { NetworkParts, ServiceParts } from './app-session.ts';

export { restoreLedgerRecords } from './ledger-runtime.ts';

export { networkSettled } from './service-start.ts';

/** The peer on the network: libp2p, the ledger and reputation (the peer list, identity and ledger show from here). */
export async function startNetwork(identity: Identity, config: NetConfig, seams: FaultSeams | undefined): Promise<NetworkParts> {
  const service = await PeerService.start(identity, config, { now: Date.now, random: Math.random, gossipTopics: [LEDGER_GOSSIP_TOPIC, RELAY_ANNOUNCEMENT_TOPIC, SWARM_RECORD_TOPIC] });
  markStartup('node-started');
  markNetworkSteps(service.node, service);
  const ledger = await startLedger(identity, service.node, seams?.ledger);
  markStartup('ledger-started');
  const reputation = startReputation(ledger);
  return { service, ledger, reputation };
}

/** What waits for the network to settle (service-start.ts): sharing, circuits, exits, discovery, mining. */
export async function startServices(identity: Identity, config: NetConfig, seams: FaultSeams | undefined, { service, ledger, reputation }: NetworkParts): Promise<ServiceParts> {
  const judging = judgingOf(reputation);
  const sharing = await SharingService.start({ ledger: ledger.service, registry: ledger.registry, signer: ledger.signer, trackers: config.trackers, iceServers: config.iceServers, random: Math.random, judge: judging.judge, seams: seams?.sharing });
  markStartup('sharing-started');
  const circuits = await CircuitService.start(service.node, identity, ledger.signer, ledger.service, seams?.circuits, judging);
  // Our circuits through a neighbour keep it: the neighbourhood's refresh would cut them (their link may be its stream, not ours).
  service.countUse((id) => {
    const peer = keyedPeer(peerIdFromString(id));
    return peer === undefined ? 0 : circuits.circuitsThrough(peer.publicKey);
  });
  const hidden = new HiddenSwarms(service.node, circuits, sharing, { seams: seams?.circuits });
  await hidden.start();
  hidden.resume();
  markStartup('circuits-started');
  const exits = new ExitService({ circuits, sharing, ledger: ledger.service, signer: ledger.signer, trackers: config.trackers, iceServers: config.iceServers, seams: seams?.exits });
  const discovery = await DiscoveryService.start({ node: service.node, sharing, signer: ledger.signer, trackers: config.trackers, seams: seams?.discovery });
  markStartup('discovery-started');
  const mining = new Miner({
    sharing,
    swarms: () => discovery.swarms(),
    magnetFor: (infoHash, name) => discovery.magnetFor(infoHash, name),
    balance: async () => (await ledger.service.verifiedBalance(identity.publicKey)).net,
    now: Date.now,
    random: Math.random,
    storage: localStorage,
    identityHex: toHex(identity.publicKey),
    seams: seams?.mining,
  });
  mining.start();
  return { sharing, circuits, hidden, exits, discovery, mining };
}
