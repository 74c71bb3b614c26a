/**
 * The bookkeeping every worker client shares: numbered requests, each settled
 * once by the answer carrying its id, and all failed together when the worker
 * dies. Pure: how a request is sent and an answer read is the client's.
 */

type Settle<T> = { resolve(value: T): void; reject(err: unknown): void };

export class PendingRequests<T> {
  /** Ids are never reused, so a late answer cannot settle a newer request. */
  private nextId = 1;
  private readonly pending = new Map<number, Settle<T>>();

  /** How many requests await an answer (a client that never drains it leaks). */
  get size(): number {
    return this.pending.size;
  }

  /** Registers a request under a fresh id before sending it (an answer may come back synchronously); a send that throws rejects it with that error instead of leaving it waiting forever. */
  open(send: (id: number) => void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        send(id);
      } catch (err) {
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  /** Settles request `id` with its answer; false (and nothing done) when no such request waits, as for a stray or repeated answer. */
  resolve(id: number, value: T): boolean {
    const p = this.take(id);
    p?.resolve(value);
    return p !== undefined;
  }

  /** Fails request `id` (the worker refused it); false (and nothing done) when no such request waits. */
  reject(id: number, err: Error): boolean {
    const p = this.take(id);
    p?.reject(err);
    return p !== undefined;
  }

  /** Fails every waiting request with `err` (the worker crashed or was stopped); later requests are tracked as before. */
  failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  /** Removes and returns request `id`: each is settled at most once. */
  private take(id: number): Settle<T> | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }
}
