/** Display formatting. Pure. */
import { fromHex } from '../codec/bytes.ts';
import { fingerprint } from '../crypto/ed25519.ts';

export function shortId(peerId: string): string {
  return peerId.length <= 12 ? peerId : `…${peerId.slice(-8)}`;
}

/** A ledger key as the pages show it: the start of its fingerprint. */
export function shortKey(key: Uint8Array | string): string {
  return fingerprint(typeof key === 'string' ? fromHex(key) : key).slice(0, 9);
}

export { formatBytes } from '../codec/units.ts';
import { formatBytes } from '../codec/units.ts';

export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '—';
  return `${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(1)} MiB/s`;
}

export function formatSecondsFromNow(targetMs: number, nowMs: number): string {
  const s = Math.max(0, Math.ceil((targetMs - nowMs) / 1000));
  return s < 60 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

export function formatDate(ms: number): string {
  return ms > 0 ? new Date(ms).toLocaleString() : 'unknown';
}

/** Token amounts are bytes; shown in binary units with a sign for balances. */
export function formatTokens(bytes: bigint, signed = false): string {
  const n = Number(bytes);
  const text = formatBytes(Math.abs(n));
  if (!signed) return text;
  return n > 0 ? `+${text}` : n < 0 ? `−${text}` : text;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}
