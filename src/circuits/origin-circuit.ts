/**
 * Our end of a circuit we built (browser-independent; part of the circuit
 * node, split out by role): the onion layers of each hop, extending, the
 * hidden-service commands an originator sends (establish-intro, introduce,
 * rendezvous, join), keepalives; paying for the path is path-payer.ts.
 */
import { toHex } from '../codec/bytes.ts';
import { decodeCell, encodeCell, type DestroyReason, type LinkFrame, type RelayCommand } from './cell-wire.ts';
import { HANDSHAKE_TIMEOUT_MS, RENDEZVOUS_WAIT_MS, IDLE_TIMEOUT_MS, MAX_DATA_BYTES } from './constants.ts';
import { CircuitError, FAILURE_TEXT } from './errors.ts';
import { clientFinish, clientStart, staticPublicKeyOf, type HopKeys } from './handshake.ts';
import { hopLayersOf, type HopLayer } from './hop-layer.ts';
import { circuitBinding } from './descriptors.ts';
import { ReceiptBook } from './payment-receipts.ts';
import { verifyEd25519 } from '../crypto/signature.ts';
import type { CircuitNodeOptions, Hop } from './circuit-node.ts';
import { dataCellBytes, tagOf, type CircuitWindow } from './circuit-window.ts';
import { endWindow } from './far-end.ts';
import { BackwardBudget } from './backward-budget.ts';
import { PathPayer } from './path-payer.ts';


/** A circuit we built: our end of the onion. */
export class OriginCircuit {
  private readonly hops: { key: Uint8Array; forward: HopLayer; backward: HopLayer; binding: Uint8Array }[] = [];
  private waiting: { resolve(c: RelayCommand): void; reject(e: Error): void } | undefined;
  private sendQueue: Promise<void> = Promise.resolve();
  private lastSent: number;
  state: 'building' | 'ready' | 'broken' | 'closed' = 'building';
  brokenReason: DestroyReason | undefined;
  bytesSent = 0;
  /** Data cells sent: with bytesSent, how full they went (writes held into full cells, or one block a cell). */
  dataCellsSent = 0;
  bytesReceived = 0;
  /** Cell bytes through our first link, both ways (payment steps count in these). */
  onionBytes = 0;
  /** Tokens the far side paid us back along this circuit. */
  receivedFromFarSide = 0n;
  /** Called when the far side's payment reaches us. */
  onPaidFromFarSide: (amount: bigint) => void = () => undefined;
  /** Called when a hop or the path goes away (not when we close it). */
  onBroken: (reason: DestroyReason) => void = () => undefined;
  /** What each hop signed it received for this circuit, against what we paid: who kept a payment (payment-receipts.ts). */
  readonly receipts: ReceiptBook;
  /** On a hidden service's introduction circuit: a downloader's rendezvous offer. */
  onIntroduce: (offer: Extract<RelayCommand, { command: 'introduce' }>) => void = () => undefined;

  constructor(
    private readonly o: CircuitNodeOptions,
    readonly firstHop: Hop,
    private readonly onData: (data: Uint8Array) => void,
    private readonly forget: () => void,
    private readonly sendFrame: (h: Hop, f: LinkFrame) => Promise<void>,
    private readonly nextThreshold: () => number,
  ) {
    this.lastSent = o.now();
    this.flow = endWindow(o);
    this.receipts = new ReceiptBook({ ownKey: o.publicKey, hops: () => this.hops, verify: verifyEd25519 });
    const path = { firstHopKey: () => this.hops[0]?.key, hopCount: () => this.hops.length, carried: () => this.onionBytes };
    this.payer = new PathPayer(o, path, firstHop, sendFrame, this.receipts, nextThreshold);
  }

  /** Reports a relay of this path that kept a payment, once (as of `now`). */
  private audit(now: number): void {
    const finding = this.receipts.check(now);
    if (finding !== undefined) this.o.onRelayEvent?.({ type: 'keeper', finding });
  }

  /** End-to-end flow control with the last hop, Tor's SENDMEs (circuit-window.ts). */
  private readonly flow: CircuitWindow;

  /** Pays the first hop for the whole path (path-payer.ts). */
  private readonly payer: PathPayer;

  /** Tokens paid to the first hop for the whole path, and for the far side (see payThrough). */
  get paid(): bigint {
    return this.payer.paid;
  }

  /** Tokens still owed for the path and the far side. */
  get due(): bigint {
    return this.payer.due;
  }

  /**
   * Pays `amount` to the other end of a spliced circuit (a hidden seeder for
   * its data): it goes with the path's payments, hop by hop to the rendezvous
   * point and back along the other end's circuit, so no block names both ends.
   */
  payThrough(amount: bigint): void {
    this.payer.payThrough(amount);
  }

  creditFromFarSide(amount: bigint): void {
    this.receivedFromFarSide += amount;
    this.onPaidFromFarSide(amount);
  }

  /** Pays what is due once it passes a step, or all of it when `final`. */
  settle(final: boolean): Promise<void> {
    return this.payer.settle(final);
  }

  get path(): Uint8Array[] {
    return this.hops.map((h) => h.key);
  }

  async addHop(key: Uint8Array, keys: HopKeys): Promise<void> {
    const [forward, backward] = await hopLayersOf(this.o.subtle, keys);
    this.hops.push({ key, forward, backward, binding: circuitBinding(keys) });
  }

  /** Onion-wraps a command for hop `target` (0-based), padded to its size class; cell numbers are taken now, in call order. */
  private wrap(target: number, command: RelayCommand, innermost?: (sealed: Uint8Array) => void): Promise<Uint8Array> {
    // Take every layer's number synchronously, innermost first, then encrypt outwards.
    const sealed = this.hops[target]!.forward.reserveSeal()(encodeCell(command));
    const inner = sealed.then((s) => (innermost?.(s.sealed), s.cell));
    const outer: ((cell: Uint8Array) => Promise<Uint8Array>)[] = [];
    for (let i = target - 1; i >= 0; i--) outer.push(this.hops[i]!.forward.reserveWrap());
    return outer.reduce((p, wrap) => p.then(wrap), inner);
  }

  /** Sends a command to hop `target` (0-based), in call order. */
  private sendTo(target: number, command: RelayCommand): Promise<void> {
    return this.enqueue(this.wrap(target, command));
  }

  private enqueue(cell: Promise<Uint8Array>): Promise<void> {
    const sent = this.sendQueue.then(async () => {
      const onion = await cell;
      if (this.state === 'broken' || this.state === 'closed') throw new CircuitError('broken', 'the circuit is gone; build a new one');
      this.lastSent = this.o.now();
      this.onionBytes += onion.length;
      await this.sendFrame(this.firstHop, { type: 'relay', circuitId: this.firstHop.circuitId, onion });
      void this.settle(false);
    });
    this.sendQueue = sent.catch(() => undefined);
    return sent;
  }

  async extend(next: Uint8Array): Promise<void> {
    const eph = clientStart(this.o.random);
    const answer = this.nextCommand();
    await this.sendTo(this.hops.length - 1, { command: 'extend', next, X: eph.publicKey });
    const c = await answer;
    if (c.command === 'extend-failed') throw new CircuitError('refused', `could not extend the circuit: ${FAILURE_TEXT[c.code]}`);
    if (c.command !== 'extended') throw new CircuitError('handshake', 'the hop answered an extend with something else');
    await this.addHop(next, clientFinish(eph, staticPublicKeyOf(next), c.Y, c.auth));
  }

  private nextCommand(timeoutMs = HANDSHAKE_TIMEOUT_MS): Promise<RelayCommand> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new CircuitError('timeout', 'the circuit did not answer in time'));
      }, timeoutMs);
      this.waiting = {
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /**
   * Makes the last hop an introduction point for the hidden service that
   * signed `descriptor`; `prove` signs our circuit binding with its key.
   */
  async establishIntro(descriptor: Uint8Array, prove: (binding: Uint8Array) => Uint8Array): Promise<void> {
    const proof = prove(this.hops[this.hops.length - 1]!.binding);
    const answer = this.nextCommand();
    await this.sendTo(this.hops.length - 1, { command: 'establish-intro', descriptor, proof });
    const c = await answer;
    if (c.command !== 'intro-established') throw new CircuitError('refused', `the introduction point refused${c.command === 'extend-failed' ? `: ${FAILURE_TEXT[c.code]}` : ''}`);
  }

  /** Asks our last hop, an introduction point of `service`, to pass a rendezvous offer on. */
  async introduce(offer: Omit<Extract<RelayCommand, { command: 'introduce' }>, 'command'>): Promise<void> {
    const answer = this.nextCommand();
    await this.sendTo(this.hops.length - 1, { command: 'introduce', ...offer });
    const c = await answer;
    if (c.command !== 'introduce-ack' || !c.ok) throw new CircuitError('refused', 'that introduction point does not introduce this swarm (any more)');
  }

  /**
   * Makes the last hop our rendezvous point for `cookie`: data from whoever joins arrives as ours.
   * Resolves once the point holds our place (hand the cookie out only then), with the join to come.
   */
  async waitAt(cookie: Uint8Array): Promise<{ joined: Promise<void> }> {
    const placed = this.nextCommand();
    await this.sendTo(this.hops.length - 1, { command: 'rendezvous', cookie });
    const c = await placed;
    if (c.command === 'extend-failed') throw new CircuitError('refused', `the rendezvous point refused: ${FAILURE_TEXT[c.code]}`);
    if (c.command !== 'rendezvous-established') throw new CircuitError('refused', 'the rendezvous point answered with something else');
    const joined = this.nextCommand(RENDEZVOUS_WAIT_MS).then((j) => {
      if (j.command === 'extend-failed') throw new CircuitError('refused', `the rendezvous point gave up: ${FAILURE_TEXT[j.code]}`);
      if (j.command !== 'joined') throw new CircuitError('refused', 'the rendezvous point answered with something else');
    });
    joined.catch(() => undefined); // the caller awaits it later, after handing out the cookie
    return { joined };
  }

  /** Joins the circuit waiting at our last hop under `cookie`; from then on, data goes to its originator. */
  async join(cookie: Uint8Array): Promise<void> {
    const joined = this.nextCommand();
    await this.sendTo(this.hops.length - 1, { command: 'join', cookie });
    const c = await joined;
    if (c.command === 'extend-failed') throw new CircuitError('refused', `could not join: ${FAILURE_TEXT[c.code]}`);
    if (c.command !== 'joined') throw new CircuitError('refused', 'the rendezvous point answered with something else');
  }

  /** Sends data to the circuit's last hop, in cells; resolves once the first hop's link took them. */
  send(data: Uint8Array): Promise<void> {
    if (this.state === 'broken' || this.state === 'closed') return Promise.reject(new CircuitError('broken', 'the circuit is gone; build a new one'));
    const last = this.hops.length - 1;
    let done: Promise<void> = Promise.resolve();
    for (let i = 0; i < data.length || i === 0; i += MAX_DATA_BYTES) {
      const chunk = data.subarray(i, i + MAX_DATA_BYTES);
      done.catch(() => undefined); // the caller hears of a failure through the last one
      done = this.sendData(last, chunk);
      this.bytesSent += chunk.length;
      this.dataCellsSent++;
    }
    return done;
  }

  /**
   * A data cell to the last hop once the end-to-end window has room; reserved now, so cells keep
   * their order. A cell that completes a step keeps its innermost tag, which the sendme must carry.
   */
  private sendData(last: number, chunk: Uint8Array): Promise<void> {
    return this.flow.reserve(dataCellBytes(chunk.length)).then((step) => this.enqueue(this.wrap(last, { command: 'data', data: chunk }, step && ((cell) => (step.tag = tagOf(cell))))));
  }

  /** A data cell or sendme from the last hop (`sealed`: as it reached that layer); false when it breaks the flow control. */
  private flowFromLast(c: RelayCommand, sealed: Uint8Array): boolean {
    if (c.command === 'sendme') return this.flow.acknowledge(c.tag) === 'ok';
    if (c.command !== 'data') return true;
    const bytes = dataCellBytes(c.data.length);
    if (!this.flow.received(bytes)) return false;
    // onData takes it synchronously, so it counts as delivered now; the sendme goes ahead of data waiting for the window.
    const due = this.flow.delivered(bytes, tagOf(sealed));
    if (due !== undefined) void this.sendTo(this.hops.length - 1, { command: 'sendme', tag: due }).catch(() => undefined);
    return true;
  }

  /** The far end broke the flow control (a forged or early sendme, data past our window): the circuit closes. */
  private violation(): void {
    if (this.state === 'broken' || this.state === 'closed') return; // it may have ended while a cell was opened
    void this.sendFrame(this.firstHop, { type: 'destroy', circuitId: this.firstHop.circuitId, reason: 'protocol' });
    this.broken('protocol');
  }

  /** A backward cell: what it brought us counts against what the circuit may waste (backward-budget.ts). */
  async onCell(onion: Uint8Array): Promise<void> {
    this.onionBytes += onion.length;
    void this.settle(false);
    // A cell that crossed our close or break (a sendme, a reply) was carried and counted by every hop: paid above, nothing more.
    if (this.state === 'closed' || this.state === 'broken') return;
    if (await this.deliver(onion)) this.budget.useful(onion.length);
    else if (this.budget.wasted(onion.length)) this.violation();
  }

  private readonly budget = new BackwardBudget();

  /** Peels layers from the first hop until one says the cell is its own, and acts on it: whether it brought us anything. */
  private async deliver(onion: Uint8Array): Promise<boolean> {
    let body = onion;
    for (const hop of this.hops) {
      const layer = await hop.backward.peel(body);
      body = layer.cell;
      if (layer.mine === undefined) continue;
      let c: RelayCommand;
      try {
        c = decodeCell(layer.mine);
      } catch {
        return false;
      }
      const last = hop === this.hops[this.hops.length - 1];
      if (last && !this.flowFromLast(c, body)) {
        this.violation();
        return true;
      }
      if (c.command === 'sendme') return last; // flow control, counted above
      if (c.command === 'data') {
        if (!last) return false;
        this.bytesReceived += c.data.length;
        this.onData(c.data);
        return true;
      }
      if (c.command === 'introduce') {
        this.onIntroduce(c);
        return true;
      }
      if (c.command === 'receipt') {
        const index = this.hops.indexOf(hop);
        if (!this.budget.receiptExpected(index, this.payer.started)) return false;
        this.receipts.receive(index, c.receipt, this.o.now(), this.onionBytes, this.payer.carriedAtLastPayment);
        return true;
      }
      if (c.command === 'drop' || this.waiting === undefined) return false; // padding, or an answer nobody waits for
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(c);
      return true;
    }
    // No hop's own: no honest path sends it, so a relay altered or inserted it, and our layers have lost step with the hops past it.
    this.violation();
    return true;
  }

  /**
   * Keeps an idle circuit alive at every hop: a `drop` cell to the last hop, inside the onion, so
   * each relay sees an ordinary cell (no timing marker in the clear along the path) and the last discards it.
   */
  async keepalive(now: number): Promise<void> {
    this.audit(now);
    if (this.state === 'broken' || this.state === 'closed' || this.hops.length === 0 || now - this.lastSent < IDLE_TIMEOUT_MS / 3) return;
    this.lastSent = now;
    await this.sendTo(this.hops.length - 1, { command: 'drop' }).catch(() => undefined);
  }

  broken(reason: DestroyReason): void {
    if (this.state === 'broken' || this.state === 'closed') return;
    this.state = 'broken';
    this.brokenReason = reason;
    this.flow.close(new CircuitError('broken', `the circuit broke (${reason})`));
    this.receipts.end(this.o.now(), this.onionBytes, reason);
    this.audit(this.o.now());
    this.forget();
    this.waiting?.reject(new CircuitError('broken', `the circuit broke (${reason})`));
    this.onBroken(reason);
    this.o.onOriginBroken?.(this.hops.map((h) => h.key), reason);
    // Hops that carried our cells before it broke are still owed.
    void this.settle(true);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasUsable = this.state !== 'broken';
    this.state = 'closed';
    this.flow.close(new CircuitError('broken', 'the circuit is gone; build a new one'));
    this.receipts.end(this.o.now(), this.onionBytes, 'closed');
    this.audit(this.o.now());
    this.forget();
    if (wasUsable) await this.sendFrame(this.firstHop, { type: 'destroy', circuitId: this.firstHop.circuitId, reason: 'requested' });
    await this.settle(true);
  }

  /** For tests: the fingerprint of each hop. */
  pathHex(): string[] {
    return this.hops.map((h) => toHex(h.key));
  }
}
