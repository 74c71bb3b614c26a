/**
 * Test hooks for circuits (test builds only, see test-hooks.ts): probes through
 * chosen peers, what this tab relays, and hostile behaviour injected through
 * the circuits' fault seams (a payer that keeps its tokens, a hostile link).
 */
import { peerIdFromString } from '@libp2p/peer-id';
import { toHex } from '../../codec/bytes.ts';
import { CREDIT_FRAME_TYPE, decodeFrame, encodeFrame, type LinkFrame } from '../../circuits/cell-wire.ts';
import type { CircuitSeams, LinkTap } from '../../circuits/seams.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';

/** Random bytes of any length (getRandomValues gives at most 64 KiB a call). */
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}

type RelayFrame = Extract<LinkFrame, { type: 'relay' }>;

/**
 * What a hostile first link slips in ahead of a genuine relay cell `next` of a
 * circuit (`earlier`: a cell it already sent on that circuit), by name.
 */
function hostileFrames(next: RelayFrame, earlier: RelayFrame): [string, Uint8Array][] {
  const corrupted = next.onion.slice();
  corrupted[corrupted.length >> 1]! ^= 0x10;
  return [
    ['garbage', randomBytes(64 * 1024)],
    ['malformed credit', new Uint8Array([CREDIT_FRAME_TYPE, 0, 0, 0, 0, 1])],
    ['truncated', encodeFrame(next).subarray(0, 3)],
    ['empty', new Uint8Array(0)],
    ['unknown circuit', encodeFrame({ ...next, circuitId: (next.circuitId ^ 1) >>> 0 })],
    ['replayed', encodeFrame(earlier)],
    ['corrupted', encodeFrame({ ...next, onion: corrupted })],
    ['forged', encodeFrame({ ...next, onion: randomBytes(next.onion.length) })],
  ];
}

/** Circuits: probes through chosen peers, and what this tab relays. */
export function circuitHooks(session: AppSession) {
  const circuits = () => running(session).circuits;
  const seams = (): CircuitSeams => {
    if (session.seams === undefined) throw new Error('this build has no fault seams (build with --mode test)');
    return session.seams.circuits;
  };
  const keyOf = (peerId: string): Uint8Array => peerIdFromString(peerId).publicKey!.raw;
  let attack: { injected: string[]; held: boolean; release(): void } | undefined;
  const readGates = new Map<string, { gate: Promise<void>; release(): void }>();
  return {
    publicKey: () => toHex(running(session).identity.publicKey),
    /** Probes `farEnd` through `relays` (peer ids) or, given a number, through that many random relays. */
    probe: (farEnd: string, relays: string[] | number, bytes: number) =>
      typeof relays === 'number' ? circuits().probe(keyOf(farEnd), relays, bytes) : circuits().probe(keyOf(farEnd), relays.length, bytes, { relays: relays.map(keyOf) }),
    currentPath: () => circuits().currentPath,
    probeFailures: () => circuits().probeFailures,
    /**
     * Probes `farEnd` through `relays` while this tab is hostile on its link to
     * the first relay: ahead of the relay cell after the first `afterCells`, it
     * sends the frames of hostileFrames, then holds that cell back until
     * `releaseAttack()` (so a test can look at the relays meanwhile). Returns
     * the probe's result, the links to the first relay it saw, and whether they are open.
     */
    async probeUnderAttack(farEnd: string, relays: string[], bytes: number, afterCells = 8) {
      const firstHop = keyOf(relays[0]!);
      let release = (): void => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      const state = { injected: [] as string[], held: false, release };
      attack = state;
      const sent: RelayFrame[] = [];
      const links = new Set<{ readonly closed: boolean }>();
      let struck = false;
      const tap: LinkTap = async (frame, link, inject) => {
        links.add(link);
        if (struck) return;
        const f = decodeFrame(frame);
        if (f.type !== 'relay') return;
        const earlier = sent.findLast((s) => s.circuitId === f.circuitId);
        if (sent.length < afterCells || earlier === undefined) {
          sent.push(f);
          return;
        }
        struck = true;
        for (const [what, hostile] of hostileFrames(f, earlier)) {
          await inject(hostile);
          state.injected.push(what);
        }
        state.held = true;
        await released;
        state.held = false;
      };
      const firstHopHex = toHex(firstHop);
      seams().linkTap = (keyHex) => (keyHex === firstHopHex ? tap : undefined);
      try {
        const result = await circuits().probe(keyOf(farEnd), relays.length, bytes, { relays: relays.map(keyOf) });
        return { ...result, injected: state.injected, links: links.size, linksOpen: [...links].every((l) => !l.closed) };
      } finally {
        delete seams().linkTap;
        attack = undefined;
      }
    },
    attackState: () => attack && { injected: attack.injected, held: attack.held },
    releaseAttack: () => attack?.release(),
    ownCircuits: () => circuits().ownCircuits().map((c) => ({ ...c, paid: c.paid.toString() })),
    hide: (infoHash: string, hops: number) => running(session).hidden.hide(infoHash, hops),
    lookup: async (infoHash: string) => (await running(session).hidden.lookup(infoHash)).length,
    hiddenSeeds: () => running(session).sharing.hiddenSeeds(),
    /** Adds the magnet as a hidden download and reaches its seeder over `hops` relays. */
    async downloadHidden(magnet: string, hops: number): Promise<string> {
      const infoHash = await running(session).sharing.addHidden(magnet);
      await running(session).hidden.reach(infoHash, hops);
      return infoHash;
    },
    /** Never connect to this peer (two ends of an anonymous transfer must not meet directly). */
    block: (peerId: string) => running(session).service.block(peerId),
    directPeerIds: () => running(session).service.node.getConnections().map((c) => c.remotePeer.toString()),
    relayed: () => circuits().relayed(),
    relayedBytes: () => circuits().relayedBytes,
    setRelaying: (on: boolean) => {
      circuits().relaying = on;
    },
    /** Stops (or resumes) paying neighbours for circuits: an originator, or a relay, that keeps its tokens. */
    setWithholdPayments: (on: boolean) => {
      if (on) seams().beforePay = () => false;
      else delete seams().beforePay;
    },
    earned: () => circuits().earnings.earned.toString(),
    /** Diagnostics of payments: our last cuts for non-payment, our last payouts, the relayed circuits that closed last. */
    paymentLog: () => JSON.stringify({ cuts: circuits().unpaidCuts, payments: circuits().payments, closed: circuits().closedRelays, incidents: circuits().incidents }, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    /** The end-to-end window of circuits this tab opens or relays from now on (null: the default). */
    setCircuitWindow: (bytes: number | null) => {
      if (bytes === null) delete seams().circuitWindowBytes;
      else seams().circuitWindowBytes = () => bytes;
    },
    /** Stops (or resumes) reading our link from this peer: circuits it carries to us stall at our end. */
    setReadingFrom: (peerId: string, on: boolean) => {
      const hex = toHex(keyOf(peerId));
      if (on) return void (readGates.get(hex)?.release(), readGates.delete(hex));
      if (readGates.has(hex)) return;
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      readGates.set(hex, { gate, release });
      seams().readGate = (keyHex) => readGates.get(keyHex)?.gate;
    },
    relayCounts: () => circuits().relayCounts(),
    /** Relays our circuits found keeping our payments (keys, hex). */
    keepers: () => circuits().keeperKeys(),
    /** Caps what this tab relays, KiB/s (0: no cap). */
    setRelayCap: (kiBps: number) => circuits().saveSettings({ ...circuits().settings, capKiBps: kiBps }),
  };
}

