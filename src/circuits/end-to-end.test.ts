import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OriginCircuit } from './circuit-node.ts';
import { EndToEnd } from './hidden-service.ts';
import { concat, rng } from './test-support.ts';

const subtle = webcrypto.subtle as unknown as SubtleCrypto;

/** WebCrypto whose encryptions finish sooner the smaller they are: concurrent seals complete out of order. */
const sizeOrderedSubtle = {
  importKey: subtle.importKey.bind(subtle),
  decrypt: subtle.decrypt.bind(subtle),
  encrypt: async (alg: AlgorithmIdentifier, key: CryptoKey, data: BufferSource) => {
    const out = await subtle.encrypt(alg as AesGcmParams, key, data);
    await new Promise((resolve) => setTimeout(resolve, (data as Uint8Array).byteLength / 20_000));
    return out;
  },
} as unknown as SubtleCrypto;

describe('an end-to-end channel', () => {
  it('hands the circuit its cells in sealing order, however the encryptions finish, so the far end opens them all', async () => {
    const r = rng(3);
    const keys = { forwardKey: r(32), backwardKey: r(32), forwardNonce: r(4), backwardNonce: r(4) };
    const cells: Uint8Array[] = [];
    const circuit = { send: async (cell: Uint8Array) => void cells.push(cell) } as unknown as OriginCircuit;
    const sender = await EndToEnd.create(sizeOrderedSubtle, circuit, keys, 'seeder');
    const receiver = await EndToEnd.create(subtle, {} as OriginCircuit, keys, 'downloader');
    const got: Uint8Array[] = [];
    receiver.onData = (d) => got.push(d);
    // Two full cells, then the rest in small block cells that seal sooner.
    const piece = rng(9)(500_000);
    await sender.send(piece);
    for (const cell of cells) await receiver.receive(cell);
    expect(cells.length).toBeGreaterThan(3);
    expect(concat(got)).toEqual(piece);
  });
});
