/** Test support for circuits (used only by *.test.ts): a mesh of CircuitNodes over memory links. */
import { webcrypto } from 'node:crypto';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { signEd25519 } from '../crypto/signature.ts';
import { toHex } from '../codec/bytes.ts';
import { seededBytes } from '../codec/seeded-bytes.ts';
import { CircuitNode, type CircuitEnd, type RelayEvent } from './circuit-node.ts';
import { staticKeyFromSeed } from './handshake.ts';
import { MemoryNetwork } from './memory-link.ts';
import { MemoryDebtStore, RelayDebts } from './relay-debt.ts';
import type { CircuitSeams } from './seams.ts';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;

/** Deterministic randomness per node, so failures replay. */
export const rng = seededBytes;

export interface Peer {
  key: Uint8Array;
  node: CircuitNode;
  received: Uint8Array[];
  ends: CircuitEnd[];
  events: RelayEvent[];
  relaying: boolean;
  /** Stops paying (an originator or relay that keeps the tokens), through the circuits' fault seam. */
  withholding: boolean;
  /** Where this peer's relay debts persist: the same object outlives a restart. */
  debtStore: MemoryDebtStore;
  /** Payouts this peer made and received, as the ledger would record them. */
  paidOut: bigint;
  paidIn: bigint;
}

export interface MeshOptions {
  connect?: (from: Uint8Array, to: Uint8Array) => Uint8Array;
  /** Payments between neighbours: a payout succeeds when the payee's node accepts it (a stand-in for the ledger). */
  payments?: boolean;
  /** Keys (hex) every node knows to be fraudsters. */
  fraudsters?: Set<string>;
  /** How long a relayed cell may wait for the next link (CircuitNodeOptions.forwardStallMs). */
  forwardStallMs?: number;
  /** Links flow-controlled with this window, as libp2p's are (default: a sender never waits). */
  linkWindowBytes?: number;
  /** Each node's end-to-end circuit window (CircuitNodeOptions.circuitWindowBytes), by index. */
  circuitWindowBytes?: (i: number) => number | undefined;
  /** When a relay pays the next hop of a closed circuit what it was not paid (CircuitNodeOptions.liableAfterMs). */
  liableAfterMs?: number;
  /** Holds each payout this long before its proposal reaches the payee (a slow ledger round trip). */
  payDelay?: (from: Uint8Array, to: Uint8Array, amount: bigint) => Promise<void>;
  /** True: this payout fails as if its proposal timed out (a ledger under load). */
  failPay?: (from: Uint8Array, to: Uint8Array, amount: bigint) => boolean;
  /** Told of each payment that failed, and why (diagnostics). */
  onPayFailed?: (amount: bigint, err: Error) => void;
  /** Each node's fault seams, by index (with payments, merged with the one that withholds them). */
  seams?: (i: number) => CircuitSeams | undefined;
  /** Also hands data arriving at the far end of a circuit to this (a fake exit answering with `end.reply`). */
  onEndpointData?: (peer: Peer, end: CircuitEnd, data: Uint8Array) => void;
}

export function mesh(count: number, opts: MeshOptions = {}) {
  const net = new MemoryNetwork(opts.linkWindowBytes);
  let clock = 1_000;
  const peers: Peer[] = [];
  const nodeOf = (i: number, peer: Peer, debts: RelayDebts): CircuitNode => {
    const seed = new Uint8Array(32).fill(i + 1);
    const key = peer.key;
    return new CircuitNode({
      publicKey: key,
      staticKey: staticKeyFromSeed(seed),
      sign: async (m) => signEd25519(seed, m),
      subtle,
      random: rng(i + 7),
      now: () => clock,
      connect: async (to) => net.link(key, opts.connect ? opts.connect(key, to) : to),
      relaying: () => peer.relaying,
      onEndpointData: (end, data) => {
        peer.received.push(data);
        if (!peer.ends.includes(end) && !peer.ends.some((e) => e.id === end.id)) peer.ends.push(end);
        opts.onEndpointData?.(peer, end, data);
      },
      onRelayEvent: (e) => peer.events.push(e),
      ...(opts.forwardStallMs === undefined ? {} : { forwardStallMs: opts.forwardStallMs }),
      ...(opts.circuitWindowBytes?.(i) === undefined ? {} : { circuitWindowBytes: opts.circuitWindowBytes(i) }),
      ...(opts.liableAfterMs === undefined ? {} : { liableAfterMs: opts.liableAfterMs }),
      requester: async (from: Uint8Array) => ({ fraudster: opts.fraudsters?.has(toHex(from)) ?? false, balance: undefined, chainLength: 0 }),
      ...(opts.seams?.(i) === undefined ? {} : { seams: opts.seams(i) }),
      ...(opts.payments
        ? {
            debts,
            seams: { ...opts.seams?.(i), beforePay: () => !peer.withholding },
            passOnDelayMaxMs: 0,
            pay: async (to: Uint8Array, amount: bigint) => {
              try {
                await opts.payDelay?.(key, to, amount);
                if (opts.failPay?.(key, to, amount) === true) throw new Error('timed out');
                const payee = peers.find((p) => toHex(p.key) === toHex(to));
                if (payee === undefined || !(await payee.node.acceptPayout(key, amount))) throw new Error('refused');
                peer.paidOut += amount;
                payee.paidIn += amount;
              } catch (err) {
                opts.onPayFailed?.(amount, err as Error);
                throw err;
              }
            },
          }
        : {}),
    });
  };
  for (let i = 0; i < count; i++) {
    const key = publicKeyFromSeed(new Uint8Array(32).fill(i + 1));
    const peer: Peer = { key, node: undefined as unknown as CircuitNode, received: [], ends: [], events: [], relaying: true, withholding: false, debtStore: new MemoryDebtStore(), paidOut: 0n, paidIn: 0n };
    peer.node = nodeOf(i, peer, RelayDebts.empty(() => clock, peer.debtStore));
    net.add(key, peer.node);
    peers.push(peer);
  }
  /**
   * Restarts peer `i` as a reload would: its links and circuits are gone, and
   * its new node loads what the old one last wrote to its debt store.
   */
  const restart = async (i: number): Promise<CircuitNode> => {
    const peer = peers[i]!;
    await peer.node.flushDebts();
    net.drop(peer.key);
    peer.node = nodeOf(i, peer, await RelayDebts.open(() => clock, peer.debtStore));
    net.add(peer.key, peer.node);
    return peer.node;
  };
  return { net, peers, advance: (ms: number) => (clock += ms), restart };
}

export { until } from '../testing/until.ts';

export const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

