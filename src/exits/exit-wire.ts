/**
 * Exit streams (pure): what an originator and its exit relay say to each
 * other end to end, inside the data cells of a circuit, in the manner of
 * Tor's RELAY_BEGIN / CONNECTED / DATA / END / SENDME. A stream is one
 * BitTorrent wire between the originator's WebTorrent client and one peer of
 * a public swarm that the exit dials on its behalf; the swarm and its tracker
 * see the exit, never the originator.
 *
 *   command u8 | stream id u16 (1..65535, chosen by the originator) | body
 *     begin     16  infohash (20) | tracker count u8 (≤ MAX_EXIT_TRACKERS) |
 *                   count × (length u8 | URL, UTF-8, ≤ MAX_TRACKER_URL_BYTES, ws: or wss: only)
 *                   join this swarm (announcing on these trackers) and dial one of its peers
 *     connected 17  peer tag (8)          the exit reached a swarm peer. The tag names that peer
 *                                         within this circuit only (the exit keeps its address and
 *                                         peer id), so the originator sees two streams reach one peer
 *     data      18  bytes (1..MAX_EXIT_DATA_BYTES, the rest of the message)
 *     end       19  reason u8             either end closes the stream; no reply
 *     sendme    20  bytes u32 (1..EXIT_STREAM_WINDOW_BYTES)
 *                                         the sender delivered that much more of this stream's data:
 *                                         the other end may send that much more (per-stream flow
 *                                         control, see EXIT_STREAM_WINDOW_BYTES)
 *     verified  21  bytes u32 (1..)       originator only: that many more bytes the exit passed on from
 *                                         the stream's swarm peer passed the originator's hash checks. The
 *                                         exit acknowledges them to the peer (and pays it when asked) once
 *                                         the originator has paid the exit for them through the circuit
 *
 * Commands are numbered from 16 so they never read as a circuit probe's
 * (1–3): the far end of a circuit tells the two apart by the first byte.
 * Decoders take untrusted bytes: bounded lengths, DecodeError only, no
 * trailing bytes. Whether a well-formed message is allowed is the exit
 * policy's business (exit-policy.ts).
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { EXIT_STREAM_WINDOW_BYTES, MAX_DATA_BYTES, MAX_EXIT_TRACKERS, MAX_TRACKER_URL_BYTES } from './constants.ts';
import { cellChunks } from '../circuits/cell-chunks.ts';

/** A BitTorrent v1 infohash. */
export const INFOHASH_BYTES = 20;
/** A swarm peer's tag: enough to tell a circuit's peers apart, too short to carry an address. */
export const PEER_TAG_BYTES = 8;
const HEADER_BYTES = 1 + 2;
/** Stream bytes in one message: a data message fills one circuit data cell. */
export const MAX_EXIT_DATA_BYTES = MAX_DATA_BYTES - HEADER_BYTES;
/** Stream bytes in the next data message of `bytes` to send: cut so its cell pads little (circuits/cell-chunks.ts). */
export const exitDataChunk = (bytes: number): number => cellChunks(bytes, HEADER_BYTES)[0]!;
const MAX_STREAM_ID = 0xffff;
const MAX_U32 = 0xffff_ffff;

export type EndReason =
  /** The stream is done (the wire closed normally). */
  | 'done'
  /** The exit policy refused it (another swarm, not BitTorrent, a tracker it will not use). */
  | 'policy'
  /** A malformed or out-of-order message, or data past the window. */
  | 'protocol'
  /** A limit was reached: streams per circuit, begins per circuit, the exit's upload share. */
  | 'limit'
  /** The exit found no swarm peer to dial (no tracker answered, or no peer accepted). */
  | 'no-peer'
  /** The swarm peer closed its connection. */
  | 'peer-closed'
  | 'timeout'
  /** The exit stopped exiting (the user turned it off). */
  | 'exit-off';
const END_REASONS: readonly EndReason[] = ['done', 'policy', 'protocol', 'limit', 'no-peer', 'peer-closed', 'timeout', 'exit-off'];

export interface ExitBegin {
  command: 'begin';
  streamId: number;
  infoHash: Uint8Array;
  /** The trackers the magnet link names (ws: or wss:). */
  trackers: string[];
}

export type ExitMessage =
  | ExitBegin
  | { command: 'connected'; streamId: number; peerTag: Uint8Array }
  | { command: 'data'; streamId: number; data: Uint8Array }
  | { command: 'end'; streamId: number; reason: EndReason }
  | { command: 'sendme'; streamId: number; bytes: number }
  | { command: 'verified'; streamId: number; bytes: number };

const COMMANDS = ['begin', 'connected', 'data', 'end', 'sendme', 'verified'] as const;
const FIRST_COMMAND = 16;

/**
 * Whether `url` is a tracker an exit may be asked to use: a WebSocket URL
 * (ws: or wss:) with a host and no credentials. Browser trackers are
 * WebSocket only, and an exit must not be steered to anything else.
 */
export function isTrackerUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '' && u.username === '' && u.password === '';
}

function checkStreamId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > MAX_STREAM_ID) throw new RangeError(`stream id ${id} outside 1..${MAX_STREAM_ID}`);
}

export function encodeExitMessage(m: ExitMessage): Uint8Array {
  checkStreamId(m.streamId);
  const w = new BinaryWriter(m.command === 'data' ? HEADER_BYTES + m.data.length : 64);
  w.u8(FIRST_COMMAND + COMMANDS.indexOf(m.command)).u16(m.streamId);
  switch (m.command) {
    case 'begin':
      w.fixed(m.infoHash, INFOHASH_BYTES).count(m.trackers.length, MAX_EXIT_TRACKERS);
      for (const t of m.trackers) {
        if (!isTrackerUrl(t)) throw new RangeError(`${t} is not a ws: or wss: tracker URL`);
        w.string(t, MAX_TRACKER_URL_BYTES);
      }
      break;
    case 'connected':
      w.fixed(m.peerTag, PEER_TAG_BYTES);
      break;
    case 'data':
      if (m.data.length === 0 || m.data.length > MAX_EXIT_DATA_BYTES) throw new RangeError(`a data message carries 1 to ${MAX_EXIT_DATA_BYTES} bytes, not ${m.data.length}`);
      w.fixed(m.data, m.data.length);
      break;
    case 'end':
      w.u8(END_REASONS.indexOf(m.reason));
      break;
    case 'sendme':
      if (!Number.isInteger(m.bytes) || m.bytes < 1 || m.bytes > EXIT_STREAM_WINDOW_BYTES) throw new RangeError(`sendme credit ${m.bytes} outside 1..${EXIT_STREAM_WINDOW_BYTES}`);
      w.u32(m.bytes);
      break;
    case 'verified':
      if (!Number.isInteger(m.bytes) || m.bytes < 1 || m.bytes > MAX_U32) throw new RangeError(`verified bytes ${m.bytes} outside 1..${MAX_U32}`);
      w.u32(m.bytes);
      break;
  }
  return w.finish();
}

export function decodeExitMessage(bytes: Uint8Array): ExitMessage {
  if (bytes.length > HEADER_BYTES + MAX_EXIT_DATA_BYTES) throw new DecodeError('too-long', `an exit message of ${bytes.length} bytes is over ${HEADER_BYTES + MAX_EXIT_DATA_BYTES}`);
  const r = new BinaryReader(bytes);
  const code = r.u8('exit command');
  const command = COMMANDS[code - FIRST_COMMAND];
  if (command === undefined) throw new DecodeError('unknown-type', `unknown exit command ${code}`);
  const streamId = r.u16('stream id');
  if (streamId === 0) throw new DecodeError('invalid-value', 'stream id 0 is not a stream');
  let m: ExitMessage;
  switch (command) {
    case 'begin': {
      const infoHash = r.fixed(INFOHASH_BYTES, 'infohash');
      const n = r.count(MAX_EXIT_TRACKERS, 'trackers');
      const trackers: string[] = [];
      for (let i = 0; i < n; i++) {
        const t = r.string(MAX_TRACKER_URL_BYTES, 'tracker URL');
        if (!isTrackerUrl(t)) throw new DecodeError('invalid-value', 'a tracker URL in a begin is a ws: or wss: URL');
        trackers.push(t);
      }
      m = { command, streamId, infoHash, trackers };
      break;
    }
    case 'connected':
      m = { command, streamId, peerTag: r.fixed(PEER_TAG_BYTES, 'peer tag') };
      break;
    case 'data':
      if (r.remaining === 0) throw new DecodeError('truncated', 'a data message carries at least one byte');
      // A view, not a copy: the data is the tail of a cell that its layers decrypted into a new array of its own.
      m = { command, streamId, data: r.view(r.remaining, 'stream data') };
      break;
    case 'end': {
      const reason = END_REASONS[r.u8('end reason')];
      if (reason === undefined) throw new DecodeError('invalid-value', 'unknown end reason');
      m = { command, streamId, reason };
      break;
    }
    case 'sendme': {
      const credit = r.u32('sendme credit');
      if (credit === 0 || credit > EXIT_STREAM_WINDOW_BYTES) throw new DecodeError('invalid-value', `sendme credit is 1..${EXIT_STREAM_WINDOW_BYTES}`);
      m = { command, streamId, bytes: credit };
      break;
    }
    case 'verified': {
      const bytes = r.u32('verified bytes');
      if (bytes === 0) throw new DecodeError('invalid-value', 'a verified report names at least one byte');
      m = { command, streamId, bytes };
      break;
    }
  }
  r.end(`${command} message`);
  return m;
}
