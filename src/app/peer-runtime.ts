/**
 * Browser glue: starts the first of a tab's two steps, the network (libp2p, the ledger, reputation); the
 * services follow from service-runtime.ts once it settled (service-start.ts). app-session.ts reaches both
 * modules only by dynamic import, so the app's first load carries none of it (issue #14's first-load
 * budget; see `npm run size`), and this one carries no WebTorrent, circuits or discovery: their code
 * would be evaluated before the node could start. Outside this file, import only types from these services.
 */
import type { Identity } from '../identity/identity.ts';
import type { NetConfig } from '../net/net-config.ts';
import { PeerService } from '../net/peer-service.ts';
import { startLedger } from './ledger-runtime.ts';
import { LEDGER_GOSSIP_TOPIC } from '../ledger/ledger-gossip-wire.ts';
import { RELAY_ANNOUNCEMENT_TOPIC } from '../circuits/relay-announcement-wire.ts';
import { SWARM_RECORD_TOPIC } from '../discovery/discovery-wire.ts';
import { startReputation } from './reputation-runtime.ts';
import type { FaultSeams } from './fault-seams.ts';
import { markNetworkSteps, markStartup } from './startup-timeline.ts';
import type { NetworkParts } from './app-session.ts';

export { restoreLedgerRecords } from './ledger-runtime.ts';

export { networkSettled } from './service-start.ts';

/** The peer on the network: libp2p, the ledger and reputation (the peer list, identity and ledger show from here). */
export async function startNetwork(identity: Identity, config: NetConfig, seams: FaultSeams | undefined): Promise<NetworkParts> {
  const service = await PeerService.start(identity, config, { now: Date.now, random: Math.random, gossipTopics: [LEDGER_GOSSIP_TOPIC, RELAY_ANNOUNCEMENT_TOPIC, SWARM_RECORD_TOPIC], storage: localStorage });
  markStartup('node-started');
  markNetworkSteps(service.node, service);
  const ledger = await startLedger(identity, service.node, seams?.ledger);
  markStartup('ledger-started');
  const reputation = startReputation(ledger);
  return { service, ledger, reputation };
}
