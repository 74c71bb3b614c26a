/**
 * An end-to-end circuit session as a duplex byte stream, the shape WebTorrent
 * takes for a peer connection (browser glue): written bytes go out sealed over
 * the circuit, received ones come out in order. A broken circuit ends it.
 */
import { Duplex } from 'streamx';
import { toHex } from '../codec/bytes.ts';
import type { EndToEnd } from './hidden-service.ts';
import { dataCapacity } from './cell-chunks.ts';
import { LAYER_OVERHEAD } from './layer.ts';
import { CELL_SIZE_FULL, STREAM_WRITE_BUFFER_BYTES } from './constants.ts';
import { holdWrites } from './held-writes.ts';

/** What WebTorrent reads off a connection: an id, that it is up, and an address to show. */
export const CIRCUIT_ADDRESS = 'circuit';

export type CircuitConnection = Duplex & {
  id: string;
  connected: true;
  remoteAddress: string;
  /** Unique per connection, so `circuit:<port>` (WebTorrent's address for it) names this one. */
  remotePort: number;
  /** Peers on our side's circuit (relays and the rendezvous point): each one we pay per byte. */
  pathLength: number;
  /** Pays the other end through the circuits (see OriginCircuit.payThrough). */
  payThrough(amount: bigint): void;
  /** Calls back when the other end's payment reaches us. */
  onPaid(listener: (amount: bigint) => void): void;
  /**
   * On a stream through an exit relay (src/exits): tells the exit that this
   * many more of its peer's bytes passed our hash checks, so it acknowledges
   * and pays them on our behalf.
   */
  verified?(bytes: number): void;
  /** On a stream through an exit relay: its peer sent junk, so the exit is avoided. */
  misbehaved?(reason: 'hash-failures' | 'unrequested'): void;
  /** On a stream through an exit relay: the exit's key. */
  exitKey?: Uint8Array;
};

/** Ports 1..65535 in turn: a tab never holds that many circuit connections at once. */
let lastPort = 0;
/** Shared with exit streams (src/exits/exit-client.ts): both are `circuit:<port>` to the sharing service. */
export const nextPort = (): number => (lastPort = (lastPort % 65_535) + 1);

export function connectionOver(session: EndToEnd): CircuitConnection {
  // Writes go out in full cells where they can (write-coalescer.ts): the BitTorrent wire writes each
  // 16 KiB block and every small message on its own.
  const coalescer = holdWrites(
    dataCapacity(CELL_SIZE_FULL, LAYER_OVERHEAD),
    (data) => session.send(data),
    (err) => d.destroy(err),
  );
  const d = new Duplex({
    // Writes that queue while a batch is on its way are taken together. A writer that respects back-pressure
    // (the wire's pipe does) queues only up to the high-water mark, so it must hold more than one block.
    highWaterMark: STREAM_WRITE_BUFFER_BYTES,
    writev(batch: unknown[], cb: (err: Error | null) => void) {
      coalescer.write(...(batch as Uint8Array[])).then(
        () => cb(null),
        (err: Error) => cb(err),
      );
    },
    final(cb: (err: Error | null) => void) {
      coalescer.flush().then(
        () => cb(null),
        (err: Error) => cb(err),
      );
    },
    destroy(cb: (err: Error | null) => void) {
      coalescer.dispose();
      void session.close().catch(() => undefined);
      cb(null);
    },
  });
  session.onData = (data) => void d.push(data);
  session.circuit.onBroken = (reason) => d.destroy(new Error(`the circuit broke (${reason})`));
  return Object.assign(d, {
    id: `circuit:${toHex(crypto.getRandomValues(new Uint8Array(8)))}`,
    connected: true as const,
    remoteAddress: CIRCUIT_ADDRESS,
    remotePort: nextPort(),
    pathLength: session.circuit.path.length,
    payThrough: (amount: bigint) => session.circuit.payThrough(amount),
    onPaid: (listener: (amount: bigint) => void) => (session.circuit.onPaidFromFarSide = listener),
  });
}
