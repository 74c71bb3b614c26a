/**
 * Exits in the tab (browser glue): the exit relay we run when the user opts
 * in (circuits ending at us carry streams into public swarms), and the exit
 * downloads we make (a download with relay hops also reaches the public
 * swarm through exits, while the hidden swarm is tried at the same time).
 */
import type { CircuitService } from '../circuits/circuit-service.ts';
import type { MessageSigner } from '../crypto/signers.ts';
import type { LedgerService } from '../ledger/ledger-service.ts';
import type { SharingService } from '../sharing/sharing-service.ts';
import { beginTrackers } from './begin-trackers.ts';
import { ExitDownloads, type ExitDownloadStatus } from './exit-downloads.ts';
import { ExitRelay } from './exit-relay.ts';
import type { ExitSeams } from './seams.ts';
import { SwarmDialer } from './swarm-dialer.ts';

/** Hops of a hidden download kept from before hops were recorded: the Files page's default. */
const DEFAULT_HOPS = 1;

export interface ExitServiceOptions {
  circuits: CircuitService;
  sharing: SharingService;
  ledger: LedgerService;
  signer: MessageSigner;
  /** The app's trackers: an exit may use these even on its own network, and downloads name them when a magnet link names none. */
  trackers: readonly string[];
  iceServers?: readonly string[] | undefined;
  seams?: ExitSeams | undefined;
}

export class ExitService {
  readonly relay: ExitRelay;
  readonly downloads: ExitDownloads;
  private readonly dialer: SwarmDialer;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: ExitServiceOptions) {
    const { circuits } = o;
    this.dialer = new SwarmDialer({ iceServers: o.iceServers });
    this.relay = new ExitRelay({
      signer: o.signer,
      ledger: o.ledger,
      dialer: this.dialer,
      exiting: () => circuits.settings.exit,
      policy: () => ({ exitCapKiBps: circuits.settings.exitCapKiBps, ownTrackers: o.trackers }),
      random: (n) => crypto.getRandomValues(new Uint8Array(n)),
      seams: o.seams,
    });
    circuits.setExitHandler((end, data) => this.relay.handle(end, data));
    o.sharing.setExitPayments((from, up) => this.relay.accept(from, up));
    // Exiting turned off: the streams we carry end now, not when their circuits do.
    this.unsubscribe = circuits.subscribe(() => {
      if (!circuits.settings.exit) this.relay.stopAll();
    });
    const { sharing } = o;
    this.downloads = new ExitDownloads(
      {
        exits: () => circuits.relayCandidates().filter((k) => circuits.directory.isExit(k)),
        isFraudster: (k) => o.ledger.isFraudster(k),
        pickRelays: (n, exclude) => circuits.pickRelays(n, exclude),
        build: (path, onData) => circuits.build(path, onData),
      },
      {
        // Every download with relay hops reaches for the public swarm through exits, while HiddenSwarms looks for hidden seeders.
        exitDownloads: () => sharing.hiddenDownloads().map((d) => ({ infoHash: d.infoHash, hops: d.hops ?? DEFAULT_HOPS, trackers: beginTrackers(d.original, o.trackers) })),
        wantsPeers: (infoHash) => sharing.wantsPeers(infoHash),
        addConnection: (infoHash, connection) => sharing.addConnection(infoHash, connection),
      },
    );
    this.downloads.start();
  }

  /** Where reaching the public swarm of a download through exits stands (undefined: not tried). */
  status(infoHash: string): ExitDownloadStatus | undefined {
    return this.downloads.status(infoHash);
  }

  stop(): void {
    this.unsubscribe();
    this.downloads.stop();
    this.relay.stopAll();
    this.o.circuits.setExitHandler(undefined);
    this.o.sharing.setExitPayments(undefined);
    this.dialer.stop();
  }
}
