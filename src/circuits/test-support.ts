/** Test support for circuits (used only by *.test.ts): a mesh of CircuitNodes over memory links. */
import { webcrypto } from 'node:crypto';
import { publicKeyFromSeed } from '../crypto/ed25519.ts';
import { toHex } from '../codec/bytes.ts';
import { seededBytes } from '../codec/seeded-bytes.ts';
import { CircuitNode, type CircuitEnd, type RelayEvent } from './circuit-node.ts';
import { staticKeyFromSeed } from './handshake.ts';
import { MemoryNetwork } from './memory-link.ts';

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
  /** Stops paying (an originator or relay that keeps the tokens). */
  withholding: boolean;
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
}

export function mesh(count: number, opts: MeshOptions = {}) {
  const net = new MemoryNetwork();
  let clock = 1_000;
  const peers: Peer[] = [];
  for (let i = 0; i < count; i++) {
    const seed = new Uint8Array(32).fill(i + 1);
    const key = publicKeyFromSeed(seed);
    const peer: Peer = { key, node: undefined as unknown as CircuitNode, received: [], ends: [], events: [], relaying: true, withholding: false, paidOut: 0n, paidIn: 0n };
    peer.node = new CircuitNode({
      publicKey: key,
      staticKey: staticKeyFromSeed(seed),
      subtle,
      random: rng(i + 7),
      now: () => clock,
      connect: async (to) => net.link(key, opts.connect ? opts.connect(key, to) : to),
      relaying: () => peer.relaying,
      onEndpointData: (end, data) => {
        peer.received.push(data);
        if (!peer.ends.includes(end) && !peer.ends.some((e) => e.id === end.id)) peer.ends.push(end);
      },
      onRelayEvent: (e) => peer.events.push(e),
      ...(opts.forwardStallMs === undefined ? {} : { forwardStallMs: opts.forwardStallMs }),
      requester: async (from: Uint8Array) => ({ fraudster: opts.fraudsters?.has(toHex(from)) ?? false, balance: undefined, chainLength: 0 }),
      ...(opts.payments
        ? {
            withholdPayments: () => peer.withholding,
            passOnDelayMaxMs: 0,
            pay: async (to: Uint8Array, amount: bigint) => {
              if (peer.withholding) throw new Error('withheld');
              const payee = peers.find((p) => toHex(p.key) === toHex(to));
              if (payee === undefined || !(await payee.node.acceptPayout(key, amount))) throw new Error('refused');
              peer.paidOut += amount;
              payee.paidIn += amount;
            },
          }
        : {}),
    });
    net.add(key, peer.node);
    peers.push(peer);
  }
  return { net, peers, advance: (ms: number) => (clock += ms) };
}

/** Waits for a condition; the deadline is generous, so a machine busy with other work (CI) does not fail the test. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

