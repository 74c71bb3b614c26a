/**
 * The far end of a circuit someone built to us (pure; part of the circuit
 * node, split out by role): its end-to-end flow control. Data we send back
 * waits for the window (circuit-window.ts); data the originator sends is
 * delivered, to the app or, at a rendezvous point, into the spliced circuit,
 * and acknowledged with a `sendme` each step once delivered, so an end that
 * stops consuming stops the other within a window. A forged or early sendme,
 * or data past our window, cuts the circuit.
 */
import type { RelayCommand } from './cell-wire.ts';
import type { CircuitNodeOptions } from './circuit-node-options.ts';
import { CIRCUIT_QUEUE_SLACK_BYTES, CIRCUIT_WINDOW_BYTES, FORWARD_STALL_MS, MAX_DATA_BYTES, SENDME_EVERY_BYTES } from './constants.ts';
import { CircuitWindow, dataCellBytes, tagOf } from './circuit-window.ts';
import { CircuitError } from './errors.ts';
import { CircuitQueue } from './relay-queue.ts';
import type { CircuitEnd, Relayed } from './relayed.ts';

/** A relayed circuit's flow at this relay: its cells waiting for each link, and its windows when we end it. */
export interface RelayFlow {
  toNext: CircuitQueue;
  toPrev: CircuitQueue;
  window: CircuitWindow;
}

/** A fresh circuit's flow: each queue holds at most a window and the control cells beside it. */
export function openFlow(windowBytes: number, now: () => number): RelayFlow {
  const bound = windowBytes + CIRCUIT_QUEUE_SLACK_BYTES;
  return { toNext: new CircuitQueue(bound, now), toPrev: new CircuitQueue(bound, now), window: new CircuitWindow(windowBytes, SENDME_EVERY_BYTES) };
}

type WindowOptions = Pick<CircuitNodeOptions, 'circuitWindowBytes' | 'seams'>;

/** The window a node's circuits use: a test build's seam, its option (tests and benches tune it), or the default. */
export const windowBytesOf = (o: WindowOptions): number => o.seams?.circuitWindowBytes?.() ?? o.circuitWindowBytes ?? CIRCUIT_WINDOW_BYTES;

/** The windows of a circuit end we built (origin-circuit.ts). */
export const endWindow = (o: WindowOptions): CircuitWindow => new CircuitWindow(windowBytesOf(o), SENDME_EVERY_BYTES);

/** Whether a relayed circuit's queue has waited for its link past FORWARD_STALL_MS (the next hop stopped reading). */
export function stalled(r: Relayed, now: number, stallMs = FORWARD_STALL_MS): boolean {
  return r.flow.toNext.stalledFor(now) > stallMs || r.flow.toPrev.stalledFor(now) > stallMs;
}

export interface FarEndHost {
  /** Seals a command back along `r` and queues it; `sealed` sees the cell first. False when the circuit was cut. */
  sendBack(r: Relayed, c: RelayCommand, sealed?: (cell: Uint8Array) => void): boolean;
  /** Hands data the originator sent to whoever takes it here; at a rendezvous point, resolves once it went on. */
  deliver(r: Relayed, data: Uint8Array): Promise<void> | void;
  cut(r: Relayed): void;
}

export class FarEnds {
  constructor(private readonly host: FarEndHost) {}

  /** What endpoint handlers see of a circuit we end. */
  endOf(r: Relayed): CircuitEnd {
    r.end ??= {
      id: r.id,
      reply: (data) => this.reply(r, data),
      surplus: () => {
        const extra = r.paidIn - r.paidOut - BigInt(r.bytes);
        return extra > 0n ? extra : 0n;
      },
      onClose: (listener) => {
        if (!r.open) return listener();
        (r.closeListeners ??= []).push(listener);
      },
    };
    return r.end;
  }

  /** A data cell for us on `r`, `tag` its innermost layer's tag: delivered, then acknowledged in steps. */
  onData(r: Relayed, data: Uint8Array, tag: Uint8Array): void {
    const bytes = dataCellBytes(data.length);
    if (!r.flow.window.received(bytes)) return this.host.cut(r);
    const acknowledge = (): void => {
      const due = r.flow.window.delivered(bytes, tag);
      if (due !== undefined) this.host.sendBack(r, { command: 'sendme', tag: due });
    };
    const delivered = this.host.deliver(r, data);
    // Across a splice, delivered means taken into the other circuit's window: a slow other end slows this one.
    if (delivered instanceof Promise) void delivered.then(acknowledge, () => undefined);
    else acknowledge();
  }

  /** The originator acknowledges a step of what we sent: a wrong or early sendme cuts the circuit. */
  onSendme(r: Relayed, tag: Uint8Array): void {
    if (r.flow.window.acknowledge(tag) !== 'ok') this.host.cut(r);
  }

  /** Sends `data` back to the originator in cells, each once the window has room; resolves when the last is queued. */
  reply(r: Relayed, data: Uint8Array): Promise<void> {
    let last: Promise<void> = Promise.resolve();
    // Reserved now, in call order, so concurrent replies go out whole and in order.
    for (let i = 0; i < data.length || i === 0; i += MAX_DATA_BYTES) {
      const chunk = data.subarray(i, i + MAX_DATA_BYTES);
      const queued = r.flow.window.reserve(dataCellBytes(chunk.length)).then(
        (step) => {
          const sealed = step === undefined ? undefined : (cell: Uint8Array) => (step.tag = tagOf(cell));
          if (!this.host.sendBack(r, { command: 'data', data: chunk }, sealed)) throw new CircuitError('broken', 'the circuit was cut');
        },
        () => {
          throw new CircuitError('closed', 'the circuit is closed');
        },
      );
      queued.catch(() => undefined); // the caller hears of a failure through the last one
      last = queued;
    }
    return last;
  }
}
