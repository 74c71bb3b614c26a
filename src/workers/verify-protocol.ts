/** Messages between the verify pool and its workers. */
import type { VerifyItem } from './verify-engine.ts';

export type VerifyRequest =
  | { id: number; op: 'verify'; items: VerifyItem[] }
  | { id: number; op: 'engine' }
  | { id: number; op: 'use'; engine: 'webcrypto' | 'noble' }
  | { id: number; op: 'compare'; items: VerifyItem[] };

/** A request before the pool numbers it. */
export type VerifyCall = VerifyRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export type VerifyResponse =
  | { id: number; op: 'verify'; results: boolean[] }
  | { id: number; op: 'engine' | 'use'; engine: string }
  | { id: number; op: 'compare'; native: boolean[] | null; noble: boolean[] }
  | { id: number; op: 'error'; message: string };
