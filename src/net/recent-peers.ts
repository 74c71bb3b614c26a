/**
 * The direct peers of a tab's last visits, kept so that a returning tab dials them as soon as it starts,
 * before any relay has answered who is here (a relay's answer takes a round of peer exchange after its
 * connection: 0.15-0.4 s of a start on this machine). Pure: the list, its merge and its stored form;
 * peer-service.ts reads and writes it in the browser's storage.
 */

export const RECENT_PEERS = {
  /**
   * Enough that one is likely still online; few enough that most of the neighbourhood (neighbours.ts aims for 8,
   * dialling 4 a round) is drawn from the relay's answer, so peers that held a tab's places cannot keep them by
   * being remembered.
   */
  max: 3,
  /** A peer not seen for a day has most likely closed its tab; its dial would only fail. */
  keepMs: 24 * 60 * 60_000,
  /** One address per relay the peer is reserved at; a tab keeps one or two. */
  maxAddrsPerPeer: 2,
  /** A WebRTC circuit address as text: relay host, two peer ids and the protocol names fit in a fraction of this. */
  maxAddrChars: 512,
  /** Peer ids are base58 text of ~52 characters; anything longer is not one. */
  maxIdChars: 128,
  /** Stored text longer than this is not a list we wrote (3 peers of 2 addresses are under 4 kB): not parsed. */
  maxStoredChars: 16_384,
  /** An unchanged list's "last seen" times are written again at most this often. */
  touchEveryMs: 60_000,
} as const;

export interface RecentPeer {
  id: string;
  /** WebRTC circuit addresses (through a relay) the peer was reached at, as text. */
  addrs: string[];
  seenAt: number;
}

/** The list after seeing `connected` at `now`: each one's time and addresses updated, newest first, at most `max`. */
export function noteConnected(list: readonly RecentPeer[], connected: readonly { id: string; addrs: readonly string[] }[], now: number): RecentPeer[] {
  const byId = new Map(list.map((p) => [p.id, p] as const));
  for (const c of connected) {
    const addrs = c.addrs.filter((a) => a.length <= RECENT_PEERS.maxAddrChars).slice(0, RECENT_PEERS.maxAddrsPerPeer);
    if (c.id.length > RECENT_PEERS.maxIdChars || addrs.length === 0) continue;
    byId.set(c.id, { id: c.id, addrs, seenAt: now });
  }
  return [...byId.values()].sort((a, b) => b.seenAt - a.seenAt || a.id.localeCompare(b.id)).slice(0, RECENT_PEERS.max);
}

/** The peers worth dialling at start: seen within `keepMs`. */
export function recall(list: readonly RecentPeer[], now: number): RecentPeer[] {
  return list.filter((p) => now - p.seenAt <= RECENT_PEERS.keepMs && p.seenAt <= now);
}

/** Whether `next` must be written over `stored`: a peer or an address changed, or the times are `touchEveryMs` old. */
export function shouldStore(stored: readonly RecentPeer[], next: readonly RecentPeer[]): boolean {
  if (stored.length !== next.length) return true;
  const before = new Map(stored.map((p) => [p.id, p] as const));
  return next.some((p) => {
    const old = before.get(p.id);
    return old === undefined || old.addrs.join(' ') !== p.addrs.join(' ') || p.seenAt - old.seenAt >= RECENT_PEERS.touchEveryMs;
  });
}

export function encodeRecentPeers(list: readonly RecentPeer[]): string {
  return JSON.stringify(list.map((p) => ({ id: p.id, addrs: p.addrs, seenAt: p.seenAt })));
}

/**
 * The stored list, read defensively: storage outlives versions and may hold anything. Malformed text gives an
 * empty list, malformed entries are dropped, and the bounds of `noteConnected` apply. Never throws.
 */
export function decodeRecentPeers(text: string | null): RecentPeer[] {
  if (text === null || text.length > RECENT_PEERS.maxStoredChars) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const peers: RecentPeer[] = [];
  for (const entry of raw.slice(0, RECENT_PEERS.max)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, addrs, seenAt } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || id.length === 0 || id.length > RECENT_PEERS.maxIdChars) continue;
    if (typeof seenAt !== 'number' || !Number.isFinite(seenAt)) continue;
    if (!Array.isArray(addrs)) continue;
    const kept = addrs.filter((a): a is string => typeof a === 'string' && a.length > 0 && a.length <= RECENT_PEERS.maxAddrChars).slice(0, RECENT_PEERS.maxAddrsPerPeer);
    if (kept.length > 0) peers.push({ id, addrs: kept, seenAt });
  }
  return peers;
}
