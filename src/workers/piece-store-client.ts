/**
 * The tab's side of the piece store worker: numbered requests, each answered
 * once. One worker serves every torrent of the tab.
 */
import { PendingRequests } from './pending-requests.ts';
import { PieceStoreError, type PieceCall, type PieceRequest, type PieceResponse } from './piece-store-protocol.ts';

/** Where requests go: the worker, or (Node tests) PieceFiles in the same thread. */
export interface PiecePort {
  post(req: PieceRequest, transfer: Transferable[]): void;
  /** Every answer, in any order. */
  onResponse: (res: PieceResponse) => void;
  /** The worker failed to load or died: every pending request fails. */
  onFailure: (message: string) => void;
}

export class PieceStoreClient {
  private readonly pending = new PendingRequests<Extract<PieceResponse, { ok: true }>>();
  private failed: string | undefined;

  constructor(private readonly port: PiecePort) {
    port.onResponse = (res) => {
      if (res.ok) this.pending.resolve(res.id, res);
      else this.pending.reject(res.id, new PieceStoreError(res.name, res.message));
    };
    port.onFailure = (message) => {
      this.failed = message;
      this.pending.failAll(new PieceStoreError('UnknownError', message));
    };
  }

  /** The worker in a browser; undefined where the page cannot start one. */
  static inBrowser(): PieceStoreClient | undefined {
    if (typeof Worker === 'undefined' || typeof navigator?.storage?.getDirectory !== 'function') return undefined;
    const worker = new Worker(new URL('./piece-store.worker.ts', import.meta.url), { type: 'module', name: 'trustmesh-pieces' });
    const port: PiecePort = {
      post: (req, transfer) => worker.postMessage(req, transfer),
      onResponse: () => undefined,
      onFailure: () => undefined,
    };
    worker.onmessage = (e: MessageEvent<PieceResponse>) => port.onResponse(e.data);
    worker.onerror = (e) => port.onFailure(`the storage worker failed (${e.message || 'it could not load'}); reload the page`);
    return new PieceStoreClient(port);
  }

  /** Whether the worker can keep pieces (a browser whose workers lack synchronous file access cannot). */
  async supported(): Promise<boolean> {
    return (await this.request({ op: 'probe' })).supported === true;
  }

  request(call: PieceCall, transfer: Transferable[] = []): Promise<Extract<PieceResponse, { ok: true }>> {
    if (this.failed !== undefined) return Promise.reject(new PieceStoreError('UnknownError', this.failed));
    return this.pending.open((id) => this.port.post({ ...call, id } as PieceRequest, transfer));
  }
}
