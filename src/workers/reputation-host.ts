/**
 * Pure: the reputation worker's state and answers. Holds one contribution
 * graph, grows it with decoded batches, recomputes exact scores from the
 * given seeds and explains one key's trust by its strongest paths, timing the computation with the injected clock. Anything the
 * decoder refuses, or the computation throws, becomes an 'error' answer: the
 * host never dies on a bad message.
 */
import { ContributionGraph, type GraphLimits } from '../reputation/contribution-graph.ts';
import { exactReputation } from '../reputation/reputation.ts';
import { whyPaths } from '../reputation/why-paths.ts';
import { decodeRequest, MAX_ERROR_CHARS, pathToWire, type ReputationResponse } from './reputation-protocol.ts';

export class ReputationHost {
  private readonly graph: ContributionGraph;
  private readonly now: () => number;

  constructor(now: () => number, limits: GraphLimits = {}) {
    this.now = now;
    this.graph = new ContributionGraph(limits);
  }

  handle(data: unknown): ReputationResponse {
    const rid = idOf(data);
    try {
      const req = decodeRequest(data);
      if (req.op === 'add') {
        for (const c of req.contributions) this.graph.add(c);
        return { id: req.id, op: 'added', edges: this.graph.edgeCount, dropped: this.graph.droppedEdges };
      }
      if (req.op === 'explain') return { id: req.id, op: 'paths', paths: whyPaths(this.graph, req.seeds, req.key).map(pathToWire) };
      const start = this.now();
      const scores = exactReputation(this.graph, req.seeds);
      const computeMs = this.now() - start;
      return { id: req.id, op: 'scores', scores: [...scores], edges: this.graph.edgeCount, computeMs };
    } catch (err) {
      return { id: rid, op: 'error', message: `${(err as Error).name}: ${(err as Error).message}`.slice(0, MAX_ERROR_CHARS) };
    }
  }
}

/** The request's id if it has a usable one, so the page can match the error; 0 (never a request id) otherwise. */
function idOf(data: unknown): number {
  const v = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0;
}
