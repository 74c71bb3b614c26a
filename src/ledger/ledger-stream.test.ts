/** Ledger requests pipelined on one libp2p stream (in-memory streams: streamPair gives [outbound, inbound]). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lpStream, streamPair } from '@libp2p/utils';
import type { Stream } from '@libp2p/interface';
import { LedgerSession, MAX_PIPELINED_REQUESTS, serveLedgerStream } from './ledger-stream.ts';
import { decodeLedgerMessage, encodeLedgerMessage, MAX_LEDGER_FRAME_BYTES, type LedgerMessage } from './ledger-wire.ts';
import { PeerUnreachableError } from './ledger-transport.ts';
import { finished, varint } from '../net/test-support.ts';

const KEY = new Uint8Array(32).fill(7);
const ask = (n: number): LedgerMessage => ({ type: 'crawl-request', publicKey: KEY, start: n, end: n, limit: 1 });
/** An answer that names the request it answers. */
const answerTo = (m: LedgerMessage): LedgerMessage => ({ type: 'sign-refused', code: 'policy', reason: `answer to ${m.type === 'crawl-request' ? m.start : '?'}` });
const reasonOf = (m: LedgerMessage): string => (m.type === 'sign-refused' ? m.reason : m.type);


function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A session whose streams each go to a server running `serve`; counts the streams opened. */
function servedSession(serve: (inbound: Stream) => Promise<void>): { session: LedgerSession; opened: () => number; served: Promise<void>[] } {
  let opened = 0;
  const served: Promise<void>[] = [];
  const session = new LedgerSession(async () => {
    opened++;
    const [outbound, inbound] = await streamPair();
    served.push(serve(inbound));
    return outbound;
  });
  return { session, opened: () => opened, served };
}


/** A frame as lpStream sends it: its length, then its bytes. */
const lengthPrefixed = (frame: Uint8Array): Uint8Array => new Uint8Array([...varint(frame.length), ...frame]);

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 1));
}

describe('LedgerSession with serveLedgerStream', () => {
  it('sends every request on one stream and gets each answer in the order asked, a slow first answer holding back none of the handling', async () => {
    const slowFirst = deferred();
    const handled: number[] = [];
    const { session, opened, served } = servedSession((inbound) =>
      serveLedgerStream(inbound, async (m) => {
        const n = m.type === 'crawl-request' ? m.start : -1;
        handled.push(n);
        if (n === 1) await slowFirst.promise;
        return answerTo(m);
      }),
    );
    const answers = [1, 2, 3].map((n) => session.request(ask(n), 5_000));
    await until(() => handled.length === 3); // all three handled at once, the first still pending
    slowFirst.resolve();
    expect((await Promise.all(answers)).map(reasonOf)).toEqual(['answer to 1', 'answer to 2', 'answer to 3']);
    expect(opened()).toBe(1);
    await session.close();
    await Promise.all(served); // the server saw the end and finished cleanly
  });

  it('a single request, then close: both ends finish closed, not aborted', async () => {
    const [outbound, inbound] = await streamPair();
    const served = serveLedgerStream(inbound, async (m) => answerTo(m));
    const session = new LedgerSession(async () => outbound);
    expect(reasonOf(await session.request(ask(9), 5_000))).toBe('answer to 9');
    await session.close();
    await served;
    await Promise.all([finished(inbound), finished(outbound)]);
    expect(inbound.status).toBe('closed');
    expect(outbound.status).toBe('closed');
  });

  it('handles at most MAX_PIPELINED_REQUESTS of one stream at once; the rest wait and are all answered in order', async () => {
    const release = deferred();
    let running = 0;
    let most = 0;
    const [outbound, inbound] = await streamPair();
    const served = serveLedgerStream(inbound, async (m) => {
      most = Math.max(most, ++running);
      await release.promise;
      running--;
      return answerTo(m);
    });
    // A requester that sends far more than the limit before reading anything.
    let delivered = 0;
    inbound.addEventListener('message', (e) => void (delivered += e.data.byteLength));
    const frames = Array.from({ length: 3 * MAX_PIPELINED_REQUESTS }, (_, n) => lengthPrefixed(encodeLedgerMessage(ask(n))));
    for (const f of frames) outbound.send(f);
    const total = frames.length;
    // Every request has reached the server, and one more turn of the event loop has let it take all it would.
    await until(() => delivered === frames.reduce((n, f) => n + f.length, 0) && running >= MAX_PIPELINED_REQUESTS);
    await new Promise((r) => setImmediate(r));
    expect(running).toBe(MAX_PIPELINED_REQUESTS);
    const lp = lpStream(outbound, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
    release.resolve();
    const got: string[] = [];
    for (let n = 0; n < total; n++) got.push(reasonOf(decodeLedgerMessage((await lp.read()).subarray())));
    expect(got).toEqual(Array.from({ length: total }, (_, n) => `answer to ${n}`));
    expect(most).toBe(MAX_PIPELINED_REQUESTS);
    await outbound.close();
    await served;
  });

  it('a request with no answer (an answer that is not one) aborts the stream, failing those behind it; the next request opens a new stream', async () => {
    const { session, opened } = servedSession((inbound) => serveLedgerStream(inbound, async (m) => (m.type === 'crawl-request' && m.start === 1 ? undefined : answerTo(m))));
    const first = session.request(ask(1), 5_000);
    const behind = session.request(ask(2), 5_000);
    await expect(first).rejects.toBeInstanceOf(PeerUnreachableError);
    await expect(behind).rejects.toBeInstanceOf(PeerUnreachableError);
    expect(reasonOf(await session.request(ask(3), 5_000))).toBe('answer to 3');
    expect(opened()).toBe(2);
    await session.close();
  });

  it('a handler that throws aborts its stream only; the server does not throw', async () => {
    const [outbound, inbound] = await streamPair();
    const served = serveLedgerStream(inbound, async () => {
      throw new Error('store failed');
    });
    await expect(new LedgerSession(async () => outbound).request(ask(1), 5_000)).rejects.toBeInstanceOf(PeerUnreachableError);
    await expect(served).resolves.toBeUndefined();
    await finished(inbound);
    expect(inbound.status).toBe('aborted');
  });

  it('a peer that answers one request and ends the stream (one stream per request): the request behind fails and succeeds when asked again', async () => {
    const { session, opened } = servedSession(async (inbound) => {
      const lp = lpStream(inbound, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
      await lp.write(encodeLedgerMessage(answerTo(decodeLedgerMessage((await lp.read()).subarray()))));
      await inbound.close();
    });
    const first = session.request(ask(1), 5_000);
    const behind = session.request(ask(2), 5_000);
    expect(reasonOf(await first)).toBe('answer to 1');
    await expect(behind).rejects.toBeInstanceOf(PeerUnreachableError);
    expect(reasonOf(await session.request(ask(2), 5_000))).toBe('answer to 2');
    expect(opened()).toBe(2);
  });

  it('a request not answered in time fails, and the stream with it; the next request gets a new stream', async () => {
    const never = deferred<LedgerMessage>();
    const { session, opened } = servedSession((inbound) => serveLedgerStream(inbound, async (m) => (m.type === 'crawl-request' && m.start === 1 ? never.promise : answerTo(m))));
    await expect(session.request(ask(1), 50)).rejects.toBeInstanceOf(PeerUnreachableError);
    expect(reasonOf(await session.request(ask(2), 5_000))).toBe('answer to 2');
    expect(opened()).toBe(2);
    await session.close();
  });

  it('a malformed answer fails the request with PeerUnreachableError and drops the stream', async () => {
    const [outbound, inbound] = await streamPair();
    void (async () => {
      const lp = lpStream(inbound);
      await lp.read();
      await lp.write(new Uint8Array([1, 99]));
    })();
    await expect(new LedgerSession(async () => outbound).request(ask(1), 5_000)).rejects.toBeInstanceOf(PeerUnreachableError);
    await finished(outbound);
    expect(outbound.status).toBe('aborted');
  });
});

describe('serveLedgerStream against a hostile requester', () => {
  it('ends a stream whose requester goes quiet between requests', async () => {
    const [outbound, inbound] = await streamPair();
    const served = serveLedgerStream(inbound, async (m) => answerTo(m), 50);
    const lp = lpStream(outbound, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
    await lp.write(encodeLedgerMessage(ask(1)));
    expect(reasonOf(decodeLedgerMessage((await lp.read()).subarray()))).toBe('answer to 1');
    await served; // nothing more came: the server gave up on the stream
    await finished(inbound);
    expect(inbound.status).toBe('aborted');
  });

  it('does not count the time its own answer takes against the requester: an answer slower than the idle limit still arrives', async () => {
    const [outbound, inbound] = await streamPair();
    const served = serveLedgerStream(inbound, async (m) => {
      await new Promise((r) => setTimeout(r, 150)); // a sign request that crawls its proposer first
      return answerTo(m);
    }, 50);
    const session = new LedgerSession(async () => outbound);
    expect(reasonOf(await session.request(ask(1), 5_000))).toBe('answer to 1');
    await session.close();
    await served;
    expect(inbound.status).toBe('closed');
  });

  it('aborts on a frame announced longer than MAX_LEDGER_FRAME_BYTES without waiting for its body', async () => {
    const [outbound, inbound] = await streamPair();
    const served = serveLedgerStream(inbound, async (m) => answerTo(m));
    outbound.send(varint(MAX_LEDGER_FRAME_BYTES + 1));
    await served;
    expect(inbound.status).toBe('aborted');
  });

  it('any frames: the server answers what decodes, aborts at the first that does not, never throws or hangs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -5, max: 5 }).map((n) => encodeLedgerMessage(ask(n)))), { maxLength: 6 }), async (frames) => {
        const [outbound, inbound] = await streamPair();
        const served = serveLedgerStream(inbound, async (m) => answerTo(m), 1_000);
        const lp = lpStream(outbound, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
        for (const f of frames) await lp.write(f).catch(() => undefined);
        await outbound.close().catch(() => undefined);
        await served;
        const valid = frames.findIndex((f) => {
          try {
            decodeLedgerMessage(f);
            return false;
          } catch {
            return true;
          }
        });
        expect(inbound.status).toBe(valid === -1 ? 'closed' : 'aborted');
      }),
      { numRuns: 40 },
    );
  });
});
