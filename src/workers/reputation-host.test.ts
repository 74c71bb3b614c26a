import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from '../ledger/constants.ts';
import { ContributionGraph } from '../reputation/contribution-graph.ts';
import { exactReputation } from '../reputation/reputation.ts';
import { whyPaths } from '../reputation/why-paths.ts';
import { ReputationClient, ReputationWorkerError, type WorkerPort } from './reputation-client.ts';
import { ReputationHost } from './reputation-host.ts';
import { MAX_BATCH, type ReputationResponse } from './reputation-protocol.ts';

const key = (c: string) => c.repeat(2 * KEY_BYTES);
const [ME, ALICE, BOB] = [key('a'), key('b'), key('c')];
const BIG = (1n << 60n) + 1n; // beyond 2^53: exact only as a string or bigint

/** A worker in this thread: the host answers on the next turn, as a real worker would. */
function inProcessWorker(host: ReputationHost, tamper: (r: ReputationResponse) => unknown = (r) => r): WorkerPort & { terminated: boolean } {
  const port = {
    terminated: false,
    onmessage: null as ((e: MessageEvent) => void) | null,
    onerror: null as ((e: ErrorEvent) => void) | null,
    postMessage(m: unknown) {
      const answer = tamper(host.handle(structuredClone(m)));
      queueMicrotask(() => port.onmessage?.({ data: structuredClone(answer) } as MessageEvent));
    },
    terminate() {
      port.terminated = true;
    },
  };
  return port;
}

describe('reputation worker host and client', () => {
  it('gives the same scores as exactReputation on the same contributions, amounts beyond 2^53 included', async () => {
    const contributions = [
      { from: ALICE, to: ME, bytes: BIG, at: 1 },
      { from: BOB, to: ALICE, bytes: 3n, at: 2 },
      { from: BOB, to: ME, bytes: BIG * 3n, at: 3 },
    ];
    const client = new ReputationClient(inProcessWorker(new ReputationHost(() => 0)));
    expect(await client.add(contributions)).toEqual({ edges: 3, dropped: 0 });
    const local = new ContributionGraph();
    for (const c of contributions) local.add(c);
    const got = await client.recompute([ME]);
    expect(got.scores).toEqual(exactReputation(local, [ME]));
    expect(got.edges).toBe(3);
  });

  it('explains a key by the same paths as whyPaths, amounts beyond 2^53 exact; none for an unknown key', async () => {
    const contributions = [
      { from: ALICE, to: ME, bytes: BIG, at: 1 },
      { from: BOB, to: ALICE, bytes: BIG * 2n, at: 2 },
      { from: BOB, to: ME, bytes: 3n, at: 3 },
    ];
    const client = new ReputationClient(inProcessWorker(new ReputationHost(() => 0)));
    await client.add(contributions);
    const local = new ContributionGraph();
    for (const c of contributions) local.add(c);
    const paths = await client.explain([ME], BOB);
    expect(paths).toEqual(whyPaths(local, [ME], BOB));
    expect(paths.map((p) => p.steps.map((s) => s.bytes))).toEqual([[BIG, BIG * 2n], [3n]]);
    expect(await client.explain([ME], key('d'))).toEqual([]);
    await expect(client.explain([ME], 'not a key')).rejects.toMatchObject({ kind: 'refused' });
  });

  it('splits a large feed into batches the decoder accepts', async () => {
    const contributions = Array.from({ length: MAX_BATCH * 2 + 1 }, (_, i) => ({ from: i.toString(16).padStart(64, '0'), to: ME, bytes: 1n, at: i }));
    const client = new ReputationClient(inProcessWorker(new ReputationHost(() => 0)));
    expect((await client.add(contributions)).edges).toBe(contributions.length);
  });

  it('times the computation with its clock', async () => {
    let t = 0;
    const host = new ReputationHost(() => (t += 7));
    host.handle({ id: 1, op: 'add', contributions: [{ from: ALICE, to: ME, bytes: '5', at: 0 }] });
    expect(host.handle({ id: 2, op: 'recompute', seeds: [ME] })).toMatchObject({ op: 'scores', computeMs: 7 });
  });

  it('answers a bad request with an error and keeps its graph', () => {
    const host = new ReputationHost(() => 0);
    host.handle({ id: 1, op: 'add', contributions: [{ from: ALICE, to: ME, bytes: '5', at: 0 }] });
    // A batch with one bad entry adds nothing, not even its good entries.
    const r = host.handle({ id: 2, op: 'add', contributions: [{ from: BOB, to: ME, bytes: '5', at: 0 }, { from: BOB, to: ME, bytes: 'lots', at: 0 }] });
    expect(r).toMatchObject({ id: 2, op: 'error' });
    expect(host.handle({ id: 3, op: 'add', contributions: [] })).toEqual({ id: 3, op: 'added', edges: 1, dropped: 0 });
    expect(host.handle('garbage')).toMatchObject({ id: 0, op: 'error' });
  });

  it('rejects with a typed error when the worker refuses, answers garbage, or is stopped', async () => {
    const client = new ReputationClient(inProcessWorker(new ReputationHost(() => 0)));
    await expect(client.recompute(['not a key'])).rejects.toMatchObject({ name: 'ReputationWorkerError', kind: 'refused' });

    const lying = new ReputationClient(inProcessWorker(new ReputationHost(() => 0), (r) => ({ ...r, scores: [[ME, 2]] })));
    await expect(lying.recompute([ME])).rejects.toMatchObject({ kind: 'malformed' });

    const port = inProcessWorker(new ReputationHost(() => 0));
    const stopped = new ReputationClient(port);
    const waiting = stopped.recompute([ME]);
    stopped.terminate();
    expect(port.terminated).toBe(true);
    await expect(waiting).rejects.toBeInstanceOf(ReputationWorkerError);
    await expect(waiting).rejects.toMatchObject({ kind: 'stopped' });
    await expect(stopped.recompute([ME])).rejects.toMatchObject({ kind: 'stopped' });
  });

  it('fails every waiting request when the worker crashes', async () => {
    const port = inProcessWorker(new ReputationHost(() => 0));
    port.postMessage = () => {}; // never answers
    const client = new ReputationClient(port);
    const waiting = client.recompute([ME]);
    port.onerror?.({ message: 'out of memory' } as ErrorEvent);
    await expect(waiting).rejects.toMatchObject({ kind: 'crashed', message: expect.stringContaining('out of memory') });
  });
});
