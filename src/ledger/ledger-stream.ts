/**
 * Ledger messages over one libp2p stream (browser glue, run in Node tests on
 * in-memory streams). A stream carries requests, each answered by one frame in
 * the order asked; a requester may send the next before the last is answered
 * (pipelining), and ends the stream when it is done. A crawl of a whole chain
 * asks for its hundred pages on one stream instead of opening a data channel
 * per page: the set-up of each cost both tabs and the browser more CPU than
 * the page it carried.
 */
import type { Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import { decodeLedgerMessage, encodeLedgerMessage, MAX_LEDGER_FRAME_BYTES, type LedgerMessage } from './ledger-wire.ts';
import { PeerUnreachableError, type LedgerSessionRequests } from './ledger-transport.ts';

/** The next request must arrive whole within this of the last answer written: an idle or slow requester cannot hold a stream open. */
export const INBOUND_READ_TIMEOUT_MS = 15_000;
/** Handling may crawl the requester first; the requester's own timeout bounds it too. */
export const HANDLER_TIMEOUT_MS = 30_000;
/** Requests of one stream handled at once; a requester that sends more waits (back-pressure), so a stream costs a bounded amount of work and memory. */
export const MAX_PIPELINED_REQUESTS = 4;

type Frames = LengthPrefixedStream<Stream>;

/**
 * The next frame, or undefined once the requester has ended its side between requests. The requester is
 * given `timeoutMs` from when every answer asked so far (`answered`) is written: one waiting for a slow
 * answer (a sign request whose handling crawls it first) is not idle.
 */
async function nextFrame(stream: Stream, lp: Frames, answered: Promise<unknown>, timeoutMs: number): Promise<Uint8Array | undefined> {
  const idle = new AbortController();
  let read = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  void answered
    .catch(() => undefined)
    .then(() => {
      if (!read) timer = setTimeout(() => idle.abort(new Error(`no request within ${timeoutMs} ms`)), timeoutMs);
    });
  try {
    return (await lp.read({ signal: idle.signal })).subarray();
  } catch (err) {
    // An end in the middle of a frame drops that frame only: nothing was asked.
    if (stream.remoteWriteStatus !== 'writable') return undefined;
    throw err;
  } finally {
    read = true;
    clearTimeout(timer);
  }
}

/**
 * Answers the requests of one inbound stream in order until the requester ends
 * it. Anything malformed, slow, unanswerable (`answer` gives undefined) or
 * failing aborts this stream only.
 */
export async function serveLedgerStream(stream: Stream, answer: (m: LedgerMessage) => Promise<LedgerMessage | undefined>, readTimeoutMs = INBOUND_READ_TIMEOUT_MS): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: MAX_LEDGER_FRAME_BYTES });
  const fail = (err: unknown): void => stream.abort(err instanceof Error ? err : new Error(String(err)));
  // Each entry settles once its answer is written; answers are written in the order asked.
  const answering: Promise<void>[] = [];
  let written: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      while (answering.length >= MAX_PIPELINED_REQUESTS) await answering.shift();
      const frame = await nextFrame(stream, lp, written, readTimeoutMs);
      if (frame === undefined) break;
      const reply = answer(decodeLedgerMessage(frame));
      const before = written;
      written = (async () => {
        const m = await reply;
        await before;
        if (m === undefined) throw new Error('no answer to this request');
        await lp.write(encodeLedgerMessage(m), { signal: AbortSignal.timeout(HANDLER_TIMEOUT_MS) });
      })();
      written.catch(fail); // a failed answer ends the stream at once, also while the next request is awaited
      answering.push(written);
    }
    await written;
    await stream.close({ signal: AbortSignal.timeout(HANDLER_TIMEOUT_MS) });
  } catch (err) {
    fail(err);
  }
}

interface OpenStream {
  stream: Stream;
  frames: Frames;
  /** Settles when the last request written so far has been written. */
  writes: Promise<unknown>;
  /** Settles when the answer to the last request asked so far has been read. */
  reads: Promise<unknown>;
}

/**
 * Requests to one peer over one stream, answered in order. The stream opens
 * at the first request; a request that fails (timeout, broken or ended
 * stream, malformed answer) aborts it, failing those behind it too, and the
 * next request opens a new one, so retries go through it as through any channel.
 */
export class LedgerSession implements LedgerSessionRequests {
  private current: Promise<OpenStream> | undefined;

  constructor(private readonly open: (signal: AbortSignal) => Promise<Stream>) {}

  async request(message: LedgerMessage, timeoutMs: number): Promise<LedgerMessage> {
    const signal = AbortSignal.timeout(timeoutMs);
    const opening = (this.current ??= this.open(signal).then((stream) => ({ stream, frames: lpStream(stream, { maxDataLength: MAX_LEDGER_FRAME_BYTES }), writes: Promise.resolve(), reads: Promise.resolve() })));
    let s: OpenStream | undefined;
    try {
      s = await opening;
      const open = s;
      const write = open.writes.then(() => open.frames.write(encodeLedgerMessage(message), { signal }));
      open.writes = write.catch(() => undefined);
      // Answers come in the order asked: this one is read after the one before it.
      const read = Promise.all([write, open.reads]).then(() => open.frames.read({ signal }));
      open.reads = read.catch(() => undefined);
      return decodeLedgerMessage((await read).subarray());
    } catch (err) {
      if (this.current === opening) this.current = undefined;
      s?.stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw err instanceof PeerUnreachableError ? err : new PeerUnreachableError((err as Error).message);
    }
  }

  /** Ends the stream once every answer asked for has been read (or failed). */
  async close(): Promise<void> {
    const opening = this.current;
    this.current = undefined;
    const s = await opening?.catch(() => undefined);
    if (s === undefined) return;
    await s.reads;
    await s.stream.close({ signal: AbortSignal.timeout(HANDLER_TIMEOUT_MS) }).catch((err: Error) => s.stream.abort(err));
  }
}
