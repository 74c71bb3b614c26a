/**
 * Test hooks for a relay's tables (test builds only, see test-hooks.ts): this
 * tab parks circuits at a rendezvous point, as many as a test asks, and meets
 * another tab there. A greedy neighbour needs no seam: it only uses the
 * protocol as much as it is allowed to.
 */
import { peerIdFromString } from '@libp2p/peer-id';
import { fromHex } from '../../codec/bytes.ts';
import type { OriginCircuit } from '../../circuits/origin-circuit.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';

export function relayTableHooks(session: AppSession) {
  const circuits = () => running(session).circuits;
  const keyOf = (peerId: string): Uint8Array => peerIdFromString(peerId).publicKey!.raw;
  const held: OriginCircuit[] = [];
  /** Outcomes of the waits this tab parked, by cookie (hex): 'placing', 'waiting' (placed), 'joined' or the refusal's text. */
  const outcomes = new Map<string, string>();
  const received: Uint8Array[] = [];
  return {
    /** Builds a 1-hop circuit to `rendezvousPoint` (peer id) per cookie (hex) and waits there under it; returns once each is placed or refused. */
    async park(rendezvousPoint: string, cookies: string[]): Promise<void> {
      const placing: Promise<unknown>[] = [];
      const failed = (cookie: string) => (err: unknown) => outcomes.set(cookie, err instanceof Error ? err.message : String(err));
      for (const cookie of cookies) {
        const circuit = await circuits().build([keyOf(rendezvousPoint)], (d) => received.push(d));
        held.push(circuit);
        outcomes.set(cookie, 'placing');
        const placed = circuit.waitAt(fromHex(cookie)).then(({ joined }) => {
          outcomes.set(cookie, 'waiting');
          joined.then(() => outcomes.set(cookie, 'joined'), failed(cookie));
        }, failed(cookie));
        placing.push(placed);
      }
      await Promise.all(placing);
    },
    /** How many of this tab's waits are in each state: 'waiting', 'joined', or refused. */
    tally: () => {
      const t = { waiting: 0, joined: 0, refused: 0 };
      for (const o of outcomes.values()) if (o === 'waiting' || o === 'joined') t[o]++;
      else if (o !== 'placing') t.refused++;
      return t;
    },
    outcome: (cookie: string) => outcomes.get(cookie),
    /** Joins the circuit waiting at `rendezvousPoint` under `cookie`, and sends `text` through the splice. */
    async join(rendezvousPoint: string, cookie: string, text: string): Promise<void> {
      const circuit = await circuits().build([keyOf(rendezvousPoint)]);
      held.push(circuit);
      await circuit.join(fromHex(cookie));
      await circuit.send(new TextEncoder().encode(text));
    },
    received: () => received.map((d) => new TextDecoder().decode(d)),
    /** How many circuits this tab relays (as a rendezvous point), and from how many neighbours. */
    relayed: () => {
      const list = circuits().relayed();
      return { circuits: list.length, neighbours: new Set(list.map((c) => c.from)).size };
    },
  };
}
