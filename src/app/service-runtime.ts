/**
 * Browser glue: the second of a tab's two start steps (peer-runtime.ts is the first): WebTorrent sharing,
 * circuits, exits, discovery and mining, once the network settled (service-start.ts). Its own chunk, so
 * that their code (WebTorrent's alone is ~90 ms of evaluation on this machine) is evaluated after the
 * first peer, not before the node starts. Outside this file, import only types from these services.
 */
import type { Identity } from '../identity/identity.ts';
import type { NetConfig } from '../net/net-config.ts';
import { keyedPeer } from '../net/direct.ts';
import { peerIdFromString } from '@libp2p/peer-id';
import { SharingService } from '../sharing/sharing-service.ts';
import { CircuitService } from '../circuits/circuit-service.ts';
import { HiddenSwarms } from '../circuits/hidden-swarms.ts';
import { ExitService } from '../exits/exit-service.ts';
import { DiscoveryService } from '../discovery/discovery-service.ts';
import { Miner } from '../mining/miner.ts';
import { toHex } from '../codec/bytes.ts';
import { judgingOf } from './reputation-runtime.ts';
import type { FaultSeams } from './fault-seams.ts';
import { markStartup } from './startup-timeline.ts';
import type { NetworkParts, ServiceParts } from './app-session.ts';

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
