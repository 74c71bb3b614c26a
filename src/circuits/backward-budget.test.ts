import { describe, expect, it } from 'vitest';
import { BackwardBudget } from './backward-budget.ts';
import { BACKWARD_WASTE_ALLOWANCE_BYTES, LINK_WINDOW_BYTES, BACKWARD_WASTE_SHARE, CIRCUIT_QUEUE_SLACK_BYTES, CIRCUIT_WINDOW_BYTES, MAX_DATA_BYTES, RECEIPTS_PER_PAYMENT, RECEIPTS_SLACK } from './constants.ts';
import { encodeCell, type RelayCommand } from './cell-wire.ts';
import { ONION_OVERHEAD } from './hop-layer.ts';
import { mesh, until } from './test-support.ts';

const MiB = 1024 * 1024;

describe('what a circuit may waste of its originator', () => {
  it('allows the allowance plus a share of the useful bytes, and not a byte more', () => {
    const b = new BackwardBudget();
    b.useful(16 * MiB);
    const allowed = BACKWARD_WASTE_ALLOWANCE_BYTES + (16 * MiB) / BACKWARD_WASTE_SHARE;
    expect(b.wasted(allowed)).toBe(false);
    expect(b.wasted(1)).toBe(true);
  });

  it('explains receipts by the payments started: a few per payment, and a few more', () => {
    const b = new BackwardBudget();
    const explained = 2 * RECEIPTS_PER_PAYMENT + RECEIPTS_SLACK;
    for (let i = 0; i < explained; i++) expect(b.receiptExpected(1, 2)).toBe(true);
    expect(b.receiptExpected(1, 2)).toBe(false);
    expect(b.receiptExpected(0, 2)).toBe(true); // counted per hop
  });

  it("closes a circuit whose middle relay floods its originator with padding, once past the allowance, and not an honest one's", async () => {
    const floods: ((c: RelayCommand) => boolean)[] = [];
    // The middle relay (peer 2) keeps a way to send back on every circuit it relays.
    // Links flow-controlled as libp2p's are, so what is in flight toward us is bounded as on the network.
    const { peers } = mesh(4, { linkWindowBytes: LINK_WINDOW_BYTES, seams: (i) => (i === 2 ? { relayedOpened: (send) => void floods.push(send) } : undefined) });
    const [origin, r1, r2, far] = peers;
    const circuit = await origin!.node.build([r1!.key, r2!.key, far!.key]);
    const broken = new Promise<string>((resolve) => (circuit.onBroken = resolve));
    // An honest transfer first: nothing wasted.
    for (let i = 0; i < 8; i++) await circuit.send(new Uint8Array(MAX_DATA_BYTES));
    await until(() => far!.received.length >= 8, 'the data');
    expect(circuit.state).toBe('ready');
    // Then the middle relay sends drops back, each a padded control cell the originator pays every hop for,
    // in bursts its own queue takes, each once the last has reached the originator, as a hostile relay would.
    const billBefore = circuit.onionBytes;
    const dropBytes = encodeCell({ command: 'drop' }).length + ONION_OVERHEAD; // a cell keeps its size along the path
    for (let burst = 0; circuit.state === 'ready' && burst < 1000; burst++) {
      const before = circuit.onionBytes;
      for (let i = 0; i < 32; i++) floods[0]!({ command: 'drop' });
      await until(() => circuit.onionBytes >= before + 32 * dropBytes || circuit.state !== 'ready', 'the burst to arrive');
    }
    expect(await broken).toBe('protocol');
    // The bill stopped within the allowance and what the relay had queued toward us when it closed.
    expect(circuit.onionBytes - billBefore).toBeLessThanOrEqual(BACKWARD_WASTE_ALLOWANCE_BYTES + CIRCUIT_WINDOW_BYTES + CIRCUIT_QUEUE_SLACK_BYTES);
  });
});
