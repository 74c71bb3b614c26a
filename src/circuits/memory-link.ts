/** Links between CircuitNodes in one process (tests): ordered delivery, with a tap to inspect or inject frames. */
import type { CircuitLink } from './circuit-link.ts';
import type { CircuitNode } from './circuit-node.ts';
import { toHex } from '../codec/bytes.ts';
import { LinkWindow } from './link-window.ts';

export class MemoryLink implements CircuitLink {
  peer!: MemoryLink;
  closed = false;
  private delivery: Promise<void> = Promise.resolve();
  /** Every frame this side sent, in order. */
  readonly sent: Uint8Array[] = [];
  /** Link flow control, as libp2p-links.ts has it, when the network gives a window: credit returns once the other side processed a frame. */
  window: LinkWindow | undefined;
  /** While set, this side processes no frames (a tab that stopped reading its link). */
  private reading: Promise<void> | undefined;
  private resume = (): void => undefined;

  constructor(
    readonly remoteKey: Uint8Array,
    private readonly owner: CircuitNode,
  ) {}

  send(frame: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('link closed'));
    this.sent.push(frame);
    if (this.window === undefined) return this.deliver(frame);
    return this.window.reserve(frame.length).then(() => this.deliver(frame));
  }

  /** This side stops processing frames until `resumeReading` (what it was sent waits, and the sender's window fills). */
  stopReading(): void {
    this.reading ??= new Promise((resolve) => (this.resume = resolve));
  }

  resumeReading(): void {
    this.reading = undefined;
    this.resume();
  }

  /** Delivers a frame to the other side as if this side had sent it (an attacker on the link). */
  inject(frame: Uint8Array): Promise<void> {
    return this.deliver(frame);
  }

  private deliver(frame: Uint8Array): Promise<void> {
    const other = this.peer;
    this.delivery = this.delivery.then(async () => {
      while (other.reading !== undefined) await other.reading;
      if (!other.closed) await other.owner.receive(other, frame);
      this.window?.credit(frame.length);
    });
    return Promise.resolve();
  }

  /** Resolves when every frame sent so far has been handled on the other side. */
  drained(): Promise<void> {
    return this.delivery;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.peer.closed = true;
    this.owner.linkClosed(this);
    this.peer.owner.linkClosed(this.peer);
  }
}

/** Connects nodes by key: `connect` of each node looks its peers up here, one link per pair. */
export class MemoryNetwork {
  /** `windowBytes`: links flow-controlled as libp2p's are (none: a sender never waits). */
  constructor(private readonly windowBytes?: number) {}

  private readonly nodes = new Map<string, { key: Uint8Array; node: CircuitNode }>();
  private readonly links = new Map<string, MemoryLink>();

  add(key: Uint8Array, node: CircuitNode): void {
    this.nodes.set(toHex(key), { key, node });
  }

  /** The link `from` uses to reach `to`, made on first use. */
  link(from: Uint8Array, to: Uint8Array): MemoryLink {
    const k = `${toHex(from)}>${toHex(to)}`;
    const existing = this.links.get(k);
    if (existing !== undefined && !existing.closed) return existing;
    const [ab, ba] = this.pair(from, to);
    this.links.set(k, ab);
    this.links.set(`${toHex(to)}>${toHex(from)}`, ba);
    return ab;
  }

  /**
   * Another link between the two, beside the one `link` gives: a second stream or
   * connection of the same neighbour. Frames sent on it reach `to` from `from`'s key.
   */
  parallelLink(from: Uint8Array, to: Uint8Array): MemoryLink {
    const [ab] = this.pair(from, to);
    this.links.set(`${toHex(from)}>${toHex(to)}#${this.links.size}`, ab);
    return ab;
  }

  private pair(from: Uint8Array, to: Uint8Array): [MemoryLink, MemoryLink] {
    const a = this.nodes.get(toHex(from));
    const b = this.nodes.get(toHex(to));
    if (a === undefined || b === undefined) throw new Error('no such peer');
    const ab = new MemoryLink(to, a.node);
    const ba = new MemoryLink(from, b.node);
    ab.peer = ba;
    ba.peer = ab;
    if (this.windowBytes !== undefined) for (const l of [ab, ba]) l.window = new LinkWindow(this.windowBytes, this.windowBytes / 4);
    return [ab, ba];
  }

  /** Takes a node off the network (a reload): its links close, and `add` may put a new node under its key. */
  drop(key: Uint8Array): void {
    const hex = toHex(key);
    for (const [k, l] of this.links) if (k.startsWith(`${hex}>`) || k.includes(`>${hex}`)) l.close();
    this.nodes.delete(hex);
  }

  /** Waits until no frame is in flight anywhere. */
  async settle(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      const before = [...this.links.values()].reduce((n, l) => n + l.sent.length, 0);
      await Promise.all([...this.links.values()].map((l) => l.drained()));
      await new Promise((r) => setTimeout(r, 0));
      const after = [...this.links.values()].reduce((n, l) => n + l.sent.length, 0);
      if (after === before) return;
    }
  }
}
