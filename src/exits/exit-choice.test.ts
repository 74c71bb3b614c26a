import { describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { EXIT_AVOID_CHEATED_MS, EXIT_AVOID_FAILED_MS } from './constants.ts';
import { chooseExit, ExitAvoidance, type ExitChoiceDeps } from './exit-choice.ts';

const key = (n: number) => new Uint8Array(32).fill(n);
const [a, b, c] = [key(1), key(2), key(3)];

function setup(fraudsters: Uint8Array[] = []) {
  let now = 1_000;
  const avoidance = new ExitAvoidance(() => now);
  const deps = (random = 0.5): ExitChoiceDeps => ({ isFraudster: (k) => fraudsters.some((f) => toHex(f) === toHex(k)), avoidance, random: () => random });
  /** The exits chosen over many draws. */
  const chosen = (exits: Uint8Array[]) => {
    const out = new Set<string>();
    for (let r = 0; r < 1; r += 0.05) {
      const choice = chooseExit(exits, deps(r));
      if (choice.kind === 'exit') out.add(toHex(choice.exit));
    }
    return [...out].sort();
  };
  return { avoidance, deps, chosen, advance: (ms: number) => (now += ms) };
}

describe('chooseExit', () => {
  it('picks at random among the usable exits', () => {
    const { chosen, deps } = setup();
    expect(chosen([a, b, c])).toEqual([a, b, c].map(toHex));
    expect(chooseExit([a, b, c], deps(0.999999))).toEqual({ kind: 'exit', exit: c });
  });

  it('never chooses a proven fraudster, even as the only exit', () => {
    const { chosen, deps } = setup([b]);
    expect(chosen([a, b, c])).toEqual([a, c].map(toHex));
    expect(chooseExit([b], deps())).toMatchObject({ kind: 'no-exit', why: 'none-connected' });
  });

  it('says so when no exit is connected', () => {
    const { deps } = setup();
    const choice = chooseExit([], deps());
    expect(choice).toMatchObject({ kind: 'no-exit', why: 'none-connected' });
    expect(choice.kind === 'no-exit' && choice.message).toMatch(/No exit relay is connected.*Download directly/);
  });

  it('passes over an exit that failed while others exist, takes it when it is the only one, and forgets after a while', () => {
    const { chosen, avoidance, advance } = setup();
    avoidance.failed(a);
    expect(chosen([a, b])).toEqual([toHex(b)]);
    expect(chosen([a])).toEqual([toHex(a)]);
    advance(EXIT_AVOID_FAILED_MS);
    expect(chosen([a, b])).toEqual([a, b].map(toHex));
  });

  it('never chooses an exit that carried junk, until its time is up', () => {
    const { chosen, deps, avoidance, advance } = setup();
    avoidance.cheated(a);
    expect(chosen([a, b])).toEqual([toHex(b)]);
    const alone = chooseExit([a], deps());
    expect(alone).toMatchObject({ kind: 'no-exit', why: 'all-avoided' });
    expect(alone.kind === 'no-exit' && alone.message).toMatch(/failed hash checks/);
    // A broken circuit later does not soften it to "failed".
    avoidance.failed(a);
    expect(chooseExit([a], deps())).toMatchObject({ kind: 'no-exit', why: 'all-avoided' });
    advance(EXIT_AVOID_CHEATED_MS);
    expect(chosen([a])).toEqual([toHex(a)]);
  });

  it('prefers an exit that failed to one that carried junk', () => {
    const { chosen, avoidance } = setup();
    avoidance.cheated(a);
    avoidance.failed(b);
    expect(chosen([a, b])).toEqual([toHex(b)]);
  });
});
