/** Single requests sharing a kept stream per peer (in-memory streams: streamPair gives [outbound, inbound]). */
import { describe, expect, it } from 'vitest';
import { streamPair } from '@libp2p/utils';
import type { Stream } from '@libp2p/interface';
import { serveLedgerStream } from './ledger-stream.ts';
import type { LedgerMessage } from './ledger-wire.ts';
import { PeerSessions } from './peer-sessions.ts';
import { until } from '../testing/until.ts';

const KEY = new Uint8Array(32).fill(7);
const PEER = { id: 'peer-a', publicKey: KEY };
const OTHER = { id: 'peer-b', publicKey: new Uint8Array(32).fill(8) };
const ask = (n: number): LedgerMessage => ({ type: 'crawl-request', publicKey: KEY, start: n, end: n, limit: 1 });
const answerTo = (m: LedgerMessage): LedgerMessage => ({ type: 'sign-refused', code: 'policy', reason: `answer to ${m.type === 'crawl-request' ? m.start : '?'}` });
const reasonOf = (m: LedgerMessage): string => (m.type === 'sign-refused' ? m.reason : m.type);

/** Sessions whose streams each reach a server answering with `answer`; what was opened, and which streams have ended. */
function served(opts: { idleMs?: number; answer?: (m: LedgerMessage) => Promise<LedgerMessage | undefined> } = {}) {
  const streams: { peer: string; outbound: Stream; ended: boolean }[] = [];
  const unusable = new Set<Stream>();
  const sessions = new PeerSessions(
    async (peer) => {
      const [outbound, inbound] = await streamPair();
      const entry = { peer: peer.id, outbound, ended: false };
      streams.push(entry);
      void serveLedgerStream(inbound, opts.answer ?? (async (m) => answerTo(m))).finally(() => (entry.ended = true));
      return outbound;
    },
    (_peer, stream) => !unusable.has(stream),
    opts.idleMs ?? 60_000,
  );
  return { sessions, streams, unusable };
}

describe('PeerSessions', () => {
  it('sends requests to a peer one after another on one stream, and another peer’s on its own', async () => {
    const { sessions, streams } = served();
    for (let i = 1; i <= 5; i++) expect(reasonOf(await sessions.request(PEER, ask(i), 1_000))).toBe(`answer to ${i}`);
    expect(reasonOf(await sessions.request(OTHER, ask(9), 1_000))).toBe('answer to 9');
    expect(streams.map((s) => s.peer)).toEqual(['peer-a', 'peer-b']);
    sessions.closeAll();
    await until(() => streams.every((s) => s.ended), 'every kept stream ended');
  });

  it('sends a request made while the kept stream is busy on a stream of its own, ended after its answer: a slow answer holds back no other', async () => {
    let release = (): void => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const { sessions, streams } = served({
      answer: async (m) => {
        if (m.type === 'crawl-request' && m.start === 1) await slow;
        return answerTo(m);
      },
    });
    const first = sessions.request(PEER, ask(1), 5_000);
    expect(reasonOf(await sessions.request(PEER, ask(2), 1_000))).toBe('answer to 2');
    expect(streams).toHaveLength(2);
    await until(() => streams[1]!.ended, 'the extra stream ended');
    release();
    expect(reasonOf(await first)).toBe('answer to 1');
    // The kept one is used again.
    expect(reasonOf(await sessions.request(PEER, ask(3), 1_000))).toBe('answer to 3');
    expect(streams).toHaveLength(2);
    expect(streams[0]!.ended).toBe(false);
  });

  it('ends a kept stream once idle, before the answering side would, and opens another for the next request', async () => {
    const { sessions, streams } = served({ idleMs: 20 });
    await sessions.request(PEER, ask(1), 1_000);
    await until(() => streams[0]!.ended, 'the idle stream ended by our side');
    expect(reasonOf(await sessions.request(PEER, ask(2), 1_000))).toBe('answer to 2');
    expect(streams).toHaveLength(2);
  });

  it('gives up a kept stream that is no longer usable (the peer has a newer connection), and ends it', async () => {
    const { sessions, streams, unusable } = served();
    await sessions.request(PEER, ask(1), 1_000);
    unusable.add(streams[0]!.outbound);
    expect(reasonOf(await sessions.request(PEER, ask(2), 1_000))).toBe('answer to 2');
    expect(streams).toHaveLength(2);
    await until(() => streams[0]!.ended, 'the unusable stream ended');
  });

  it('opens a new stream after a request failed on the kept one', async () => {
    let refuse = true;
    // The answering side gives no answer once: it aborts that stream.
    const { sessions, streams } = served({ answer: async (m) => (refuse ? ((refuse = false), undefined) : answerTo(m)) });
    await expect(sessions.request(PEER, ask(1), 1_000)).rejects.toThrow();
    expect(reasonOf(await sessions.request(PEER, ask(2), 1_000))).toBe('answer to 2');
    expect(streams).toHaveLength(2);
  });
});
