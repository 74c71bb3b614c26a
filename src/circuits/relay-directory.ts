/**
 * What this peer knows of relays: the newest valid signed announcement of each
 * (pure; clock and signature check injected). Announcements arrive from any
 * neighbour, so each is checked on its own: signature, age, and that it is
 * newer than what we hold. Only a new one is passed on, so gossip floods end.
 */
import { binaryKey } from '../codec/bytes.ts';
import { ANNOUNCEMENT_MAX_SKEW_MS, ANNOUNCEMENT_TTL_MS, MAX_KNOWN_RELAYS } from './constants.ts';
import { announcementSigningBytes, MAX_ANNOUNCEMENTS_PER_FRAME, type RelayAnnouncement, type RelayAnnouncementBody } from './relay-announcement-wire.ts';

/** 'crowded': valid but not kept (the directory is full of announcements trusted more), so not passed on either. */
export type OfferResult = 'new' | 'known' | 'stale' | 'expired' | 'future' | 'bad-signature' | 'crowded';

/**
 * What an offer's outcome says of the neighbour that sent it (src/net/gossip-scores.ts): a bad signature
 * is invalid whatever anyone holds; an expired or future announcement may be clock skew, and counts nothing.
 */
export function judgeAnnouncement(result: OfferResult): 'new' | 'invalid' | 'other' {
  return result === 'new' ? 'new' : result === 'bad-signature' ? 'invalid' : 'other';
}

export interface RelayDirectoryDeps {
  now(): number;
  /** The project's one signature rule (strict RFC 8032). */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** A key with a proven fraud (the ledger's fork proofs): never offered as a relay or exit, whatever it announces. */
  fraudster?(publicKey: Uint8Array): boolean;
  /** My trust in a key (0..1; undefined: unknown, as 0): when full, the least trusted announcements go first. */
  trust?(publicKey: Uint8Array): number | undefined;
  maxKnown?: number;
}

export class RelayDirectory {
  private readonly known = new Map<string, RelayAnnouncement>();

  constructor(private readonly deps: RelayDirectoryDeps) {}

  /** Takes an announcement from the network; 'new' means it replaced what we knew and should be passed on. */
  offer(a: RelayAnnouncement): OfferResult {
    const now = BigInt(this.deps.now());
    if (a.issuedAt + BigInt(ANNOUNCEMENT_TTL_MS) <= now) return 'expired';
    if (a.issuedAt > now + BigInt(ANNOUNCEMENT_MAX_SKEW_MS)) return 'future';
    const id = binaryKey(a.publicKey);
    const held = this.known.get(id);
    if (held !== undefined && held.issuedAt >= a.issuedAt) return held.issuedAt === a.issuedAt ? 'known' : 'stale';
    // Checked last: the cheap tests above turn away replays without a signature check.
    if (!this.deps.verify(a.signature, announcementSigningBytes(a), a.publicKey)) return 'bad-signature';
    this.known.delete(id);
    this.known.set(id, a);
    this.evict();
    // Passed on only if kept: two full directories would otherwise bounce an announcement between them forever.
    return this.known.has(id) ? 'new' : 'crowded';
  }

  /** The relay with this key announced relaying, has not withdrawn or expired, and is no proven fraudster. */
  isRelay(publicKey: Uint8Array): boolean {
    const a = this.known.get(binaryKey(publicKey));
    return a !== undefined && this.usable(a);
  }

  /** As isRelay, and it announced exiting. */
  isExit(publicKey: Uint8Array): boolean {
    const a = this.known.get(binaryKey(publicKey));
    return a !== undefined && a.exit && this.usable(a);
  }

  /** Current relays (announcing relaying, unexpired, no proven fraudster). */
  relays(): RelayAnnouncement[] {
    return [...this.known.values()].filter((a) => this.usable(a));
  }

  /** Current exits: relays whose latest announcement sets the exit flag. */
  exits(): RelayAnnouncement[] {
    return this.relays().filter((a) => a.exit);
  }

  /** What to tell a neighbour: the newest unexpired announcements, withdrawals included so they spread too. */
  forGossip(limit = MAX_ANNOUNCEMENTS_PER_FRAME): RelayAnnouncement[] {
    return [...this.known.values()]
      .filter((a) => !this.expired(a))
      .sort((x, y) => (x.issuedAt === y.issuedAt ? 0 : x.issuedAt > y.issuedAt ? -1 : 1))
      .slice(0, limit);
  }

  get size(): number {
    return this.known.size;
  }

  private usable(a: RelayAnnouncement): boolean {
    return a.relaying && !this.expired(a) && !(this.deps.fraudster?.(a.publicKey) ?? false);
  }

  private expired(a: RelayAnnouncement): boolean {
    return a.issuedAt + BigInt(ANNOUNCEMENT_TTL_MS) <= BigInt(this.deps.now());
  }

  /**
   * Drops expired announcements, then beyond the bound the least trusted,
   * oldest first among equals: a flood of fresh keys (trusted by nobody)
   * displaces only other untrusted announcements, never relays I trust.
   */
  private evict(): void {
    const max = this.deps.maxKnown ?? MAX_KNOWN_RELAYS;
    if (this.known.size <= max) return;
    for (const [id, a] of this.known) if (this.expired(a)) this.known.delete(id);
    const trust = (a: RelayAnnouncement): number => this.deps.trust?.(a.publicKey) ?? 0;
    const leastKeptFirst = [...this.known.entries()]
      .map(([id, a]) => ({ id, a, trust: trust(a) }))
      .sort((x, y) => x.trust - y.trust || (x.a.issuedAt === y.a.issuedAt ? 0 : x.a.issuedAt < y.a.issuedAt ? -1 : 1));
    for (const { id } of leastKeptFirst.slice(0, Math.max(0, this.known.size - max))) this.known.delete(id);
  }
}

/** Signs an announcement of our own. */
export async function signAnnouncement(body: RelayAnnouncementBody, sign: (message: Uint8Array) => Promise<Uint8Array> | Uint8Array): Promise<RelayAnnouncement> {
  return { ...body, signature: await sign(announcementSigningBytes(body)) };
}
