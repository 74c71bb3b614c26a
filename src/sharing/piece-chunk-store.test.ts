import { describe, expect, it } from 'vitest';
import { PieceFiles } from '../workers/piece-files.ts';
import { PieceStoreClient, type PiecePort } from '../workers/piece-store-client.ts';
import { MemoryDirectory } from '../workers/piece-test-support.ts';
import { describeError } from './sharing-service.ts';
import { pieceChunkStore, type ChunkStore } from './piece-chunk-store.ts';

const HASH = 'cd'.repeat(20);

/** The client over PieceFiles in this thread, answering asynchronously as the worker does. */
function inProcess(dir = new MemoryDirectory()) {
  const files = new PieceFiles(dir);
  const port: PiecePort = {
    post: (req) => void files.handle(req).then((res) => port.onResponse(res)),
    onResponse: () => undefined,
    onFailure: () => undefined,
  };
  const client = new PieceStoreClient(port);
  return { dir, client, port, Store: pieceChunkStore(client) };
}

/** The pieces whose gets reach the worker, in order. */
function getsReaching(port: PiecePort): number[] {
  const asked: number[] = [];
  const post = port.post;
  port.post = (req, transfer) => {
    if (req.op === 'get') asked.push(req.index);
    post(req, transfer);
  };
  return asked;
}

const promised = <T>(run: (cb: (err: Error | null, v?: T) => void) => void): Promise<T | undefined> =>
  new Promise((resolve, reject) => run((err, v) => (err ? reject(err) : resolve(v))));
const put = (s: ChunkStore, i: number, b: Uint8Array) => promised<void>((cb) => s.put(i, b, cb));
const get = (s: ChunkStore, i: number, o?: { offset?: number; length?: number }) => promised<Uint8Array>((cb) => s.get(i, o, cb));

describe('the piece chunk store (what WebTorrent sees)', () => {
  it('stores pieces and reads them back whole or in ranges, the last one short; a copy is sent, so WebTorrent may keep using its buffer', async () => {
    const { Store } = inProcess();
    const s = new Store(10, { torrent: { infoHash: HASH }, length: 25, name: 'x - cdcdcdcd' });
    const buf = new Uint8Array(10).fill(7);
    await put(s, 0, buf);
    expect(buf).toEqual(new Uint8Array(10).fill(7));
    await expect(get(s, 1)).rejects.toMatchObject({ name: 'NotFoundError' });
    await put(s, 2, new Uint8Array(5).fill(9));
    expect(await get(s, 0)).toEqual(new Uint8Array(10).fill(7));
    expect(await get(s, 2)).toEqual(new Uint8Array(5).fill(9));
    expect(await get(s, 0, { offset: 3, length: 4 })).toEqual(new Uint8Array(4).fill(7));
    expect(await get(s, 2, { offset: 1 })).toEqual(new Uint8Array(4).fill(9));
    expect(await get(s, 0, { offset: 10, length: 0 })).toEqual(new Uint8Array(0));
    // The callback form without options, as WebTorrent's verification calls it.
    expect(await promised<Uint8Array>((cb) => s.get(0, cb))).toEqual(new Uint8Array(10).fill(7));
  });

  it('answers a new download\'s checks for pieces it lacks without asking the worker, and reads what is put since', async () => {
    const { port, Store } = inProcess();
    const asked = getsReaching(port);
    const s = new Store(10, { torrent: { infoHash: HASH }, length: 1_000 });
    // What WebTorrent does on adding a torrent: a get of every piece (a round trip each delayed a 16 MiB download's first byte by 0.6 s).
    const checks = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => get(s, i)));
    expect(checks.every((c) => c.status === 'rejected' && (c.reason as Error).name === 'NotFoundError')).toBe(true);
    expect(asked).toEqual([]);
    const putting = put(s, 5, new Uint8Array(10).fill(5));
    expect(await get(s, 5)).toEqual(new Uint8Array(10).fill(5));
    await putting;
    expect(asked).toEqual([5]);
  });

  it('asks the worker for every piece inside a file kept from before (a resumed download)', async () => {
    const { port, Store } = inProcess();
    const asked = getsReaching(port);
    const opts = { torrent: { infoHash: HASH }, length: 100 };
    const s = new Store(10, opts);
    await put(s, 3, new Uint8Array(10).fill(3));
    await promised<void>((cb) => s.close(cb));
    const resumed = new Store(10, opts);
    expect(await get(resumed, 3)).toEqual(new Uint8Array(10).fill(3));
    // Inside the file but never written: zeros from the worker, which fail their hash check.
    expect(await get(resumed, 1)).toEqual(new Uint8Array(10));
    await expect(get(resumed, 4)).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(asked).toEqual([3, 1]);
  });

  it('keeps pieces across a close and a new store of the same torrent (a reload), and destroy removes them', async () => {
    const { Store } = inProcess();
    const opts = { torrent: { infoHash: HASH }, length: 20 };
    const s = new Store(10, opts);
    await put(s, 1, new Uint8Array(10).fill(4));
    await promised<void>((cb) => s.close(cb));
    await expect(get(s, 1)).rejects.toThrow(/closed/);
    await expect(promised<void>((cb) => s.close(cb))).rejects.toThrow(/closed/);
    const again = new Store(10, opts);
    expect(await get(again, 1)).toEqual(new Uint8Array(10).fill(4));
    await promised<void>((cb) => again.destroy(cb));
    const fresh = new Store(10, opts);
    await expect(get(fresh, 1)).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('takes over what the default store kept for this torrent', async () => {
    const { dir, Store } = inProcess();
    dir.legacyDirs.set('film.mp4 - cdcdcdcd', new Map([[1, new Uint8Array(10).fill(3)]]));
    const s = new Store(10, { torrent: { infoHash: HASH }, length: 30, name: 'film.mp4 - cdcdcdcd' });
    expect(await get(s, 1)).toEqual(new Uint8Array(10).fill(3));
    expect(dir.legacyDirs.size).toBe(0);
  });

  it('a full disk fails the put with an error the Files page words as out of storage', async () => {
    const { dir, Store } = inProcess();
    dir.quota = 10;
    const s = new Store(10, { torrent: { infoHash: HASH }, length: 30 });
    await put(s, 0, new Uint8Array(10));
    const err = await put(s, 1, new Uint8Array(10)).catch((e: Error) => e);
    expect(describeError(err as Error)).toMatch(/no more storage/);
  });

  it('a file it cannot open fails every put and get with that reason; a worker that dies fails what is pending and what comes after', async () => {
    const { dir, Store, port } = inProcess();
    dir.open = () => Promise.reject(Object.assign(new Error('held by another tab'), { name: 'NoModificationAllowedError' }));
    const s = new Store(10, { torrent: { infoHash: HASH }, length: 30 });
    await expect(put(s, 0, new Uint8Array(10))).rejects.toThrow(/held by another tab/);
    await expect(get(s, 0)).rejects.toThrow(/held by another tab/);

    const other = inProcess();
    other.port.post = () => undefined; // never answers
    const t = new other.Store(10, { torrent: { infoHash: HASH }, length: 30 });
    const pending = get(t, 0);
    other.port.onFailure('the storage worker failed');
    await expect(pending).rejects.toThrow(/storage worker failed/);
    await expect(get(t, 1)).rejects.toThrow(/storage worker failed/);
    void port;
  });

  it('refuses to be made without what it needs to name and bound the file', () => {
    const { Store } = inProcess();
    expect(() => new Store(0, { torrent: { infoHash: HASH }, length: 1 })).toThrow(/chunk length/);
    expect(() => new Store(10, { torrent: { infoHash: 'x/../y' }, length: 1 })).toThrow(/infohash/);
    expect(() => new Store(10, { torrent: { infoHash: HASH } })).toThrow(/length/);
  });
});
