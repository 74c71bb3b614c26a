import { describe, expect, it } from 'vitest';
import { circuitRate, CircuitWireAccount, MAX_CIRCUIT_RATE, paidCircuitRate, peerCircuitRate, CIRCUIT_RATE_FIELD } from './circuit-wire-account.ts';

describe('paying over an anonymous wire', () => {
  it('asks one token per byte for each paid peer on our circuit, plus one for the data, within bounds', () => {
    expect(circuitRate(2)).toBe(3);
    expect(circuitRate(10)).toBe(MAX_CIRCUIT_RATE);
  });

  it('pays what the other end asked only when it is a sane rate', () => {
    expect(peerCircuitRate({ [CIRCUIT_RATE_FIELD]: 3 })).toBe(3);
    for (const odd of [0, -1, 2.5, MAX_CIRCUIT_RATE + 1, '3', undefined]) expect(peerCircuitRate({ [CIRCUIT_RATE_FIELD]: odd })).toBe(1);
    expect(peerCircuitRate(undefined)).toBe(1);
  });

  it('counts unpaid bytes at the asked rate; overpayment is no debt', () => {
    const a = new CircuitWireAccount(3);
    a.uploaded(1000);
    expect(a.unpaidBytes).toBe(1000n);
    a.paid(1500n);
    expect(a.unpaidBytes).toBe(500n);
    a.paid(3000n);
    expect(a.unpaidBytes).toBe(0n);
    expect(a.received).toBe(4500n);
  });

  it('pays the far end what it asks, never more than our own path justifies', () => {
    expect(paidCircuitRate({ [CIRCUIT_RATE_FIELD]: MAX_CIRCUIT_RATE }, 1)).toBe(circuitRate(1)); // asks 5 on our 1-hop path: gets 2
    expect(circuitRate(1)).toBe(2);
    expect(paidCircuitRate({ [CIRCUIT_RATE_FIELD]: 2 }, 3)).toBe(2); // never more than it asked
    expect(paidCircuitRate({}, 3)).toBe(1);
  });

  it('charges what the other end will pay: the lower of both asks', () => {
    const seeder = new CircuitWireAccount(circuitRate(3));
    seeder.agreeRate({ [CIRCUIT_RATE_FIELD]: circuitRate(1) });
    seeder.uploaded(1000);
    const tokens = 1000n * BigInt(paidCircuitRate({ [CIRCUIT_RATE_FIELD]: seeder.rate }, 1));
    seeder.paid(tokens);
    expect(seeder.unpaidBytes).toBe(0n);
    const greedy = new CircuitWireAccount(circuitRate(1));
    greedy.agreeRate({ [CIRCUIT_RATE_FIELD]: MAX_CIRCUIT_RATE }); // a far end asking more does not raise our price
    greedy.uploaded(1000);
    greedy.paid(2000n);
    expect(greedy.unpaidBytes).toBe(0n);
  });
});
