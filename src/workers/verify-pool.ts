/**
 * A pool of verification workers (browser glue). A batch is split across the
 * workers so verification uses every core and never blocks the page.
 */
import { PendingRequests } from './pending-requests.ts';
import type { VerifyItem } from './verify-engine.ts';
import type { VerifyCall, VerifyResponse } from './verify-protocol.ts';

/** Below this, splitting a batch costs more in messaging than it saves. */
const MIN_ITEMS_PER_WORKER = 64;
/** More workers than this gain nothing for signature checks on phones and laptops. */
const MAX_WORKERS = 4;

export class VerifyPool {
  private readonly workers: Worker[];
  private readonly pending = new PendingRequests<VerifyResponse>();
  private next = 0;
  /** The engine `use` forced on every worker, for workers added later. */
  private forced: 'webcrypto' | 'noble' | undefined;

  /**
   * Up to one worker per core (at most MAX_WORKERS). Chromium runs native WebCrypto
   * Ed25519 on the calling thread (measured on Chromium 150, 2 cores, one key,
   * 256 in flight: 19.4k verifies/s from one worker, 32.5k from two, 34.0k
   * from three), so native verification scales with workers like noble does.
   */
  static start(maxWorkers: number = Math.min(MAX_WORKERS, Math.max(1, navigator.hardwareConcurrency ?? 2))): VerifyPool {
    return new VerifyPool(1, maxWorkers);
  }

  /**
   * `size` workers now, more up to `maxWorkers` at the first batch large enough
   * to split: a tab that never crawls (most page loads) starts one worker, not
   * one per core.
   */
  constructor(size = 1, private readonly maxWorkers = size) {
    this.workers = Array.from({ length: size }, () => this.spawn());
  }

  /** How many parts a batch of `n` goes in, adding workers first if it can use them. */
  private partsFor(n: number): number {
    const useful = Math.min(this.maxWorkers, Math.floor(n / MIN_ITEMS_PER_WORKER));
    while (this.workers.length < useful) {
      const w = this.spawn();
      // A worker's messages are handled in order: the engine is set before its first batch.
      if (this.forced !== undefined) void this.call(w, { op: 'use', engine: this.forced }).catch(() => undefined);
      this.workers.push(w);
    }
    return Math.max(1, Math.min(this.workers.length, useful));
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./verify.worker.ts', import.meta.url), { type: 'module', name: 'trustmesh-verify' });
    w.onmessage = (e: MessageEvent<VerifyResponse>) => {
      if (e.data.op === 'error') this.pending.reject(e.data.id, new Error(`signature worker failed: ${e.data.message}`));
      else this.pending.resolve(e.data.id, e.data);
    };
    w.onerror = (e) => this.pending.failAll(new Error(`signature worker crashed: ${e.message}`));
    return w;
  }

  get size(): number {
    return this.workers.length;
  }

  private call(worker: Worker, req: VerifyCall, transfer: Transferable[] = []): Promise<VerifyResponse> {
    return this.pending.open((id) => worker.postMessage({ ...req, id }, transfer));
  }

  private pick(): Worker {
    const w = this.workers[this.next % this.workers.length]!;
    this.next++;
    return w;
  }

  async verifyMany(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const parts = this.partsFor(items.length);
    const per = Math.ceil(items.length / parts);
    const chunks: Promise<VerifyResponse>[] = [];
    for (let i = 0; i < items.length; i += per) chunks.push(this.call(this.pick(), { op: 'verify', items: items.slice(i, i + per) }));
    return (await Promise.all(chunks)).flatMap((r) => (r.op === 'verify' ? r.results : []));
  }

  /** Verdicts for encoded half-blocks, split across workers, each part sent as one transferred buffer. */
  async verifyEncodedBlocks(encodings: readonly Uint8Array[]): Promise<boolean[]> {
    if (encodings.length === 0) return [];
    const parts = this.partsFor(encodings.length);
    const per = Math.ceil(encodings.length / parts);
    const calls: Promise<VerifyResponse>[] = [];
    for (let i = 0; i < encodings.length; i += per) {
      const part = encodings.slice(i, i + per);
      const offsets = new Uint32Array(part.length + 1);
      for (let j = 0; j < part.length; j++) offsets[j + 1] = offsets[j]! + part[j]!.length;
      const bytes = new Uint8Array(offsets[part.length]!);
      part.forEach((e, j) => bytes.set(e, offsets[j]!));
      calls.push(this.call(this.pick(), { op: 'verify-blocks', bytes: bytes.buffer, offsets }, [bytes.buffer]));
    }
    return (await Promise.all(calls)).flatMap((r) => (r.op === 'verify-blocks' ? r.results : []));
  }

  async engine(): Promise<string> {
    const r = await this.call(this.workers[0]!, { op: 'engine' });
    return r.op === 'engine' ? r.engine : 'unknown';
  }

  /** Forces an engine on every worker (benchmarks compare both in one run). */
  async use(engine: 'webcrypto' | 'noble'): Promise<void> {
    this.forced = engine;
    await Promise.all(this.workers.map((w) => this.call(w, { op: 'use', engine })));
  }

  /** Both engines' verdicts on the same items, for the engine-agreement test. */
  async compare(items: VerifyItem[]): Promise<{ native: boolean[] | null; noble: boolean[] }> {
    const r = await this.call(this.workers[0]!, { op: 'compare', items });
    return r.op === 'compare' ? { native: r.native, noble: r.noble } : { native: null, noble: [] };
  }

  terminate(): void {
    for (const w of this.workers) w.terminate();
    this.pending.failAll(new Error('signature workers stopped'));
  }
}
