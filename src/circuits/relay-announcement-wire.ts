/**
 * Wire format of /trustmesh/relay-announcements/2.0.0 (pure). A peer that
 * relays circuits says so in an announcement signed with its identity key;
 * peers pass announcements to each other over direct connections (there is
 * no directory server). Decoders take untrusted bytes; signatures are checked
 * by the directory, not here.
 *
 *   announcement  version u8 (2) | publicKey (32) | issuedAt u64 (ms) |
 *                 flags u8 (bit 0 relaying, bit 1 exit; other bits 0, exit only with relaying;
 *                 0 withdraws) | capKiBps u32 (0 uncapped) |
 *                 signature (64) over ANNOUNCEMENT_DOMAIN ‖ the bytes before it
 *   frame         replyWanted u8 (0|1) | count u8 (≤ MAX_ANNOUNCEMENTS_PER_FRAME) | count × announcement
 *
 * Frames are what two peers swap when they connect (what each knows). News
 * spreads as single announcements on the GossipSub topic
 * /trustmesh/relay-announcement-gossip/2.0.0 (the same version: the same encoding).
 *
 * Version 2 (protocol 2.0.0) turned 1.0.0's relaying byte into the flags byte.
 * The flags are signed, so an exit flag cannot be added or removed in transit.
 * The two versions do not mix: a 2.0.0 peer speaks only 2.0.0, so a 1.0.0 peer
 * and it fail protocol negotiation, swap nothing and do not see each other as
 * relays (each still relays circuits for peers of its own version). A 1.0.0
 * signature never passes for 2.0.0: the signed version byte differs.
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { concatBytes, utf8 } from '../codec/bytes.ts';

export const RELAY_ANNOUNCEMENTS_PROTOCOL = '/trustmesh/relay-announcements/2.0.0';
export const ANNOUNCEMENT_VERSION = 2;
/** News spreads as single announcements on this GossipSub topic. */
export const RELAY_ANNOUNCEMENT_TOPIC = '/trustmesh/relay-announcement-gossip/2.0.0';
/** Domain separation: an announcement signature can never pass for a block or handshake signature. */
export const ANNOUNCEMENT_DOMAIN = utf8.encode('trustmesh/relay-announcement/1');
/** Signed part: version, key, time, flags, cap. */
const SIGNED_BYTES = 1 + 32 + 8 + 1 + 4;
export const ANNOUNCEMENT_BYTES = SIGNED_BYTES + 64;
/** Announcements in one frame: a neighbourhood's worth of relays; bounds the work a frame can cause. */
export const MAX_ANNOUNCEMENTS_PER_FRAME = 64;
/** Upper bound of a well-formed frame, enforced by the stream reader before decoding. */
export const MAX_ANNOUNCEMENT_FRAME_BYTES = 2 + MAX_ANNOUNCEMENTS_PER_FRAME * ANNOUNCEMENT_BYTES;
export const FLAG_RELAYING = 1;
export const FLAG_EXIT = 2;
/** Where an announcement's flags byte sits (after version, key and time), for tests that tamper with it. */
export const ANNOUNCEMENT_FLAGS_OFFSET = 1 + 32 + 8;

export interface RelayAnnouncementBody {
  publicKey: Uint8Array;
  /** When the relay signed it (its clock, ms): a newer announcement replaces an older one. */
  issuedAt: bigint;
  /** False withdraws an earlier announcement (the user turned relaying off). */
  relaying: boolean;
  /** The relay also exits: joins public swarms on a circuit's behalf (only with relaying). */
  exit: boolean;
  /** The relay's upload cap for relayed traffic, KiB/s; 0 for none. */
  capKiBps: number;
}

export interface RelayAnnouncement extends RelayAnnouncementBody {
  signature: Uint8Array;
}

export interface AnnouncementFrame {
  /** The sender wants our announcements back (first exchange on a new connection). */
  replyWanted: boolean;
  announcements: RelayAnnouncement[];
}

function writeBody(w: BinaryWriter, a: RelayAnnouncementBody): BinaryWriter {
  if (a.exit && !a.relaying) throw new RangeError('an exit announcement must also announce relaying');
  const flags = (a.relaying ? FLAG_RELAYING : 0) | (a.exit ? FLAG_EXIT : 0);
  return w.u8(ANNOUNCEMENT_VERSION).fixed(a.publicKey, 32).u64(a.issuedAt).u8(flags).u32(a.capKiBps);
}

/** The bytes an announcement's signature covers. */
export function announcementSigningBytes(a: RelayAnnouncementBody): Uint8Array {
  return concatBytes(ANNOUNCEMENT_DOMAIN, writeBody(new BinaryWriter(SIGNED_BYTES), a).finish());
}

function readAnnouncement(r: BinaryReader): RelayAnnouncement {
  const version = r.u8('announcement version');
  if (version !== ANNOUNCEMENT_VERSION) throw new DecodeError('unknown-version', `relay announcement version ${version} is not supported`);
  const publicKey = r.fixed(32, 'relay key');
  const issuedAt = r.u64('issued at');
  const flags = r.u8('flags');
  if ((flags & ~(FLAG_RELAYING | FLAG_EXIT)) !== 0) throw new DecodeError('invalid-value', 'unknown relay announcement flags');
  if (flags === FLAG_EXIT) throw new DecodeError('invalid-value', 'an exit announcement must also announce relaying');
  const capKiBps = r.u32('upload cap');
  const signature = r.fixed(64, 'signature');
  return { publicKey, issuedAt, relaying: (flags & FLAG_RELAYING) !== 0, exit: (flags & FLAG_EXIT) !== 0, capKiBps, signature };
}

/** One announcement, as the gossip topic carries it. */
export function encodeAnnouncement(a: RelayAnnouncement): Uint8Array {
  return writeBody(new BinaryWriter(ANNOUNCEMENT_BYTES), a).fixed(a.signature, 64).finish();
}

/** Decodes one announcement; throws only DecodeError. */
export function decodeAnnouncement(bytes: Uint8Array): RelayAnnouncement {
  const r = new BinaryReader(bytes);
  const a = readAnnouncement(r);
  r.end('relay announcement');
  return a;
}

export function encodeAnnouncementFrame(f: AnnouncementFrame): Uint8Array {
  const w = new BinaryWriter(2 + f.announcements.length * ANNOUNCEMENT_BYTES).u8(f.replyWanted ? 1 : 0).count(f.announcements.length, MAX_ANNOUNCEMENTS_PER_FRAME);
  for (const a of f.announcements) writeBody(w, a).fixed(a.signature, 64);
  return w.finish();
}

export function decodeAnnouncementFrame(bytes: Uint8Array): AnnouncementFrame {
  const r = new BinaryReader(bytes);
  const flag = r.u8('reply flag');
  if (flag > 1) throw new DecodeError('invalid-value', 'the reply flag is 0 or 1');
  const n = r.count(MAX_ANNOUNCEMENTS_PER_FRAME, 'announcements');
  const announcements: RelayAnnouncement[] = [];
  for (let i = 0; i < n; i++) announcements.push(readAnnouncement(r));
  r.end('relay announcement frame');
  return { replyWanted: flag === 1, announcements };
}
