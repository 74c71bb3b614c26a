/** Messages between the verify pool and its workers. */
import type { VerifyItem } from './verify-engine.ts';

export type VerifyRequest =
  | { id: number; op: 'verify'; items: VerifyItem[] }
  /** Encoded half-blocks packed in one transferred buffer: block i is bytes[offsets[i]..offsets[i+1]). */
  | { id: number; op: 'verify-blocks'; bytes: ArrayBuffer; offsets: Uint32Array }
  | { id: number; op: 'engine' }
  | { id: number; op: 'use'; engine: 'webcrypto' | 'noble' }
  | { id: number; op: 'compare'; items: VerifyItem[] };

/** A request before the pool numbers it. */
export type VerifyCall = VerifyRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export type VerifyResponse =
  | { id: number; op: 'verify' | 'verify-blocks'; results: boolean[] }
  | { id: number; op: 'engine' | 'use'; engine: string }
  | { id: number; op: 'compare'; native: boolean[] | null; noble: boolean[] }
  | { id: number; op: 'error'; message: string };
