import { describe, expect, it } from 'vitest';
import { PendingRequests } from './pending-requests.ts';

/** Opens a request and returns its promise with the id it was sent under. */
function openOne(pending: PendingRequests<string>): { id: number; answer: Promise<string> } {
  let id = 0;
  const answer = pending.open((sent) => {
    id = sent;
  });
  return { id, answer };
}

describe('PendingRequests', () => {
  it('settles each request by the answer carrying its id, in any order', async () => {
    const pending = new PendingRequests<string>();
    const [a, b, c] = [openOne(pending), openOne(pending), openOne(pending)];
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect(pending.size).toBe(3);
    expect(pending.resolve(c.id, 'c')).toBe(true);
    expect(pending.reject(a.id, new Error('a refused'))).toBe(true);
    expect(pending.resolve(b.id, 'b')).toBe(true);
    await expect(a.answer).rejects.toThrow('a refused');
    expect(await b.answer).toBe('b');
    expect(await c.answer).toBe('c');
    expect(pending.size).toBe(0);
  });

  it('ignores an answer to an unknown id or to a request already settled', async () => {
    const pending = new PendingRequests<string>();
    const a = openOne(pending);
    expect(pending.resolve(a.id + 100, 'stray')).toBe(false);
    expect(pending.reject(a.id + 100, new Error('stray'))).toBe(false);
    expect(pending.size).toBe(1);
    expect(pending.resolve(a.id, 'first')).toBe(true);
    expect(pending.resolve(a.id, 'second')).toBe(false);
    expect(pending.reject(a.id, new Error('late'))).toBe(false);
    expect(await a.answer).toBe('first');
  });

  it('fails every pending request at once and keeps working afterwards', async () => {
    const pending = new PendingRequests<string>();
    const waiting = [openOne(pending), openOne(pending)];
    const crash = new Error('worker crashed');
    pending.failAll(crash);
    expect(pending.size).toBe(0);
    for (const w of waiting) await expect(w.answer).rejects.toBe(crash);
    for (const w of waiting) expect(pending.resolve(w.id, 'too late')).toBe(false);

    const next = openOne(pending);
    expect(waiting.map((w) => w.id)).not.toContain(next.id);
    expect(pending.resolve(next.id, 'ok')).toBe(true);
    expect(await next.answer).toBe('ok');
  });

  it('settles an answer that arrives while the request is being sent', async () => {
    const pending = new PendingRequests<string>();
    expect(await pending.open((id) => pending.resolve(id, 'at once'))).toBe('at once');
    expect(pending.size).toBe(0);
  });

  it('rejects a request whose send throws, with that error, and does not keep it', async () => {
    const pending = new PendingRequests<string>();
    const cloneError = new Error('could not be cloned');
    let sentId = 0;
    const answer = pending.open((id) => {
      sentId = id;
      throw cloneError;
    });
    await expect(answer).rejects.toBe(cloneError);
    expect(pending.size).toBe(0);
    expect(pending.resolve(sentId, 'late')).toBe(false);
  });
});
