/**
 * Browser glue: the page's side of the reputation worker. One promise per
 * request; answers are decoded (never trusted) before they settle it. Errors
 * are ReputationWorkerError, naming what happened: the worker refused the
 * request, crashed, answered garbage, or was stopped.
 */
import type { Contribution } from '../reputation/contribution-graph.ts';
import type { WhyPath } from '../reputation/why-paths.ts';
import { PendingRequests } from './pending-requests.ts';
import { decodeResponse, MAX_BATCH, toWire, type DecodedResponse, type ReputationRequest } from './reputation-protocol.ts';

export type ReputationFailure = 'refused' | 'crashed' | 'malformed' | 'stopped';

export class ReputationWorkerError extends Error {
  override name = 'ReputationWorkerError';
  constructor(
    readonly kind: ReputationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** What the client needs of a Worker (a fake one in tests). */
export interface WorkerPort {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

export interface Scores {
  scores: Map<string, number>;
  edges: number;
  /** Time the worker spent computing, by its own clock. */
  computeMs: number;
}

type Call = ReputationRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export function startReputationWorker(): Worker {
  return new Worker(new URL('./reputation-worker.ts', import.meta.url), { type: 'module', name: 'trustmesh-reputation' });
}

export class ReputationClient {
  private readonly worker: WorkerPort;
  private readonly pending = new PendingRequests<DecodedResponse>();
  private stopped = false;

  constructor(worker: WorkerPort = startReputationWorker()) {
    this.worker = worker;
    worker.onmessage = (e) => this.receive(e.data);
    worker.onerror = (e) => this.pending.failAll(new ReputationWorkerError('crashed', `the reputation worker crashed (${e.message}); trust scores are unavailable until the page is reloaded`));
  }

  /** Adds contributions to the worker's graph, in batches the protocol accepts; resolves with the graph's size. */
  async add(contributions: readonly Contribution[]): Promise<{ edges: number; dropped: number }> {
    let last = { edges: 0, dropped: 0 };
    for (let i = 0; i < contributions.length || i === 0; i += MAX_BATCH) {
      const r = await this.call({ op: 'add', contributions: contributions.slice(i, i + MAX_BATCH).map(toWire) });
      if (r.op !== 'added') throw new ReputationWorkerError('malformed', `the reputation worker answered '${r.op}' to 'add'`);
      last = { edges: r.edges, dropped: r.dropped };
    }
    return last;
  }

  async recompute(seeds: readonly string[]): Promise<Scores> {
    const r = await this.call({ op: 'recompute', seeds: [...seeds] });
    if (r.op !== 'scores') throw new ReputationWorkerError('malformed', `the reputation worker answered '${r.op}' to 'recompute'`);
    return { scores: new Map(r.scores), edges: r.edges, computeMs: r.computeMs };
  }

  /** The strongest paths by which trust flows from my keys to `key` (whyPaths): empty when none. */
  async explain(seeds: readonly string[], key: string): Promise<WhyPath[]> {
    const r = await this.call({ op: 'explain', seeds: [...seeds], key });
    if (r.op !== 'paths') throw new ReputationWorkerError('malformed', `the reputation worker answered '${r.op}' to 'explain'`);
    return r.paths;
  }

  terminate(): void {
    this.stopped = true;
    this.worker.terminate();
    this.pending.failAll(new ReputationWorkerError('stopped', 'the reputation worker was stopped'));
  }

  private call(req: Call): Promise<DecodedResponse> {
    if (this.stopped) return Promise.reject(new ReputationWorkerError('stopped', 'the reputation worker was stopped'));
    return this.pending.open((id) => this.worker.postMessage({ ...req, id }));
  }

  private receive(data: unknown): void {
    let r: DecodedResponse;
    try {
      r = decodeResponse(data);
    } catch (err) {
      // An answer we cannot read cannot be matched either: fail everything waiting.
      this.pending.failAll(new ReputationWorkerError('malformed', (err as Error).message));
      return;
    }
    if (r.op === 'error') this.pending.reject(r.id, new ReputationWorkerError('refused', `the reputation worker refused a request: ${r.message}`));
    else this.pending.resolve(r.id, r);
  }
}
