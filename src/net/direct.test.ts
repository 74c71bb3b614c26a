import { describe, expect, it } from 'vitest';
import type { Stream } from '@libp2p/interface';
import { errorText, NoDirectStreamError, openDirectStream } from './direct.ts';

interface FakeStream {
  on: string;
  aborted: boolean;
  abort(): void;
}

/** A connection that opens streams at once, never (a half-open one: the far end gave up on it), or refuses them. */
function fakeConnection(name: string, behaviour: 'opens' | 'hangs' | { refuses: unknown }) {
  const opened: FakeStream[] = [];
  return {
    name,
    opened,
    newStream: (_protocol: string | string[], options?: { signal?: AbortSignal }) =>
      new Promise<Stream>((resolve, reject) => {
        if (behaviour === 'opens') {
          const s: FakeStream = { on: name, aborted: false, abort: () => void (s.aborted = true) };
          opened.push(s);
          resolve(s as unknown as Stream);
        } else if (behaviour === 'hangs') options?.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        else reject(behaviour.refuses);
      }),
  };
}

describe('openDirectStream', () => {
  it('does not wait on a connection that hangs while another opens the stream', async () => {
    const halfOpen = fakeConnection('half-open', 'hangs');
    const live = fakeConnection('live', 'opens');
    const controller = new AbortController();
    const stream = (await openDirectStream([halfOpen, live], '/p/1', controller.signal)) as unknown as FakeStream;
    expect(stream.on).toBe('live');
    controller.abort();
  });

  it('keeps one stream when several connections open one, and drops the rest', async () => {
    const a = fakeConnection('a', 'opens');
    const b = fakeConnection('b', 'opens');
    const stream = (await openDirectStream([a, b], '/p/1', new AbortController().signal)) as unknown as FakeStream;
    const all = [...a.opened, ...b.opened];
    expect(all).toHaveLength(2);
    expect(all.filter((s) => !s.aborted)).toEqual([stream]);
  });

  it('names the connections that refused, but blames none the caller\'s time ran out on', async () => {
    const refused = fakeConnection('refused', { refuses: { type: 'error' } });
    const live = fakeConnection('live', 'opens');
    const unusable: string[] = [];
    await openDirectStream([refused, live], '/p/1', new AbortController().signal, (c) => unusable.push(c.name));
    expect(unusable).toEqual(['refused']);

    const controller = new AbortController();
    const pending = openDirectStream([fakeConnection('slow', 'hangs')], '/p/1', controller.signal, (c) => unusable.push(c.name));
    controller.abort();
    await expect(pending).rejects.toThrow(NoDirectStreamError);
    expect(unusable).toEqual(['refused']);
  });

  it('says why each connection refused, even when WebRTC threw something that is not an Error', async () => {
    const err = await openDirectStream([fakeConnection('a', { refuses: { type: 'error' } }), fakeConnection('b', { refuses: new RangeError('reset') })], '/p/1', new AbortController().signal).catch((e: Error) => e);
    expect(err).toBeInstanceOf(NoDirectStreamError);
    expect((err as Error).message).toBe('error event; RangeError: reset');
    await expect(openDirectStream([], '/p/1', new AbortController().signal)).rejects.toThrow('no direct connection');
    expect(errorText(undefined)).toBe('undefined');
  });
});
