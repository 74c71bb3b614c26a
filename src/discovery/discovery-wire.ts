/**
 * Messages of /trustmesh/discovery/1.0.0 (pure): the swarm records a tab
 * greets a new neighbour with, and remote search. One-way frames over
 * push-channel.ts (direct connections only); an answer names the request it
 * answers. News spreads on SWARM_RECORD_TOPIC, one record per message.
 *
 *   message        type u8 | body
 *   1 records      count u8 (≤ MAX_RECORDS_PER_MESSAGE) | count × record (swarm-record-wire.ts)
 *   2 search       id u32 | query (u8 length ≤ MAX_QUERY_BYTES, UTF-8, not blank) | limit u8 (1..MAX_ANSWER_SWARMS)
 *   3 answer       id u32 | count u8 (≤ MAX_ANSWER_RECORDS) | count × record
 */
import { BinaryReader, BinaryWriter, DecodeError } from '../codec/binary.ts';
import { MAX_ANSWER_RECORDS, MAX_ANSWER_SWARMS, MAX_QUERY_BYTES, MAX_RECORDS_PER_MESSAGE } from './constants.ts';
import { MAX_RECORD_BYTES, readRecord, writeRecord, type SwarmRecord } from './swarm-record-wire.ts';

export const DISCOVERY_PROTOCOL = '/trustmesh/discovery/1.0.0';
/** New swarm records spread one per message on this GossipSub topic (swarm-record-wire.ts's encoding). */
export const SWARM_RECORD_TOPIC = '/trustmesh/swarm-records/1.0.0';

export type DiscoveryMessage =
  | { type: 'records'; records: SwarmRecord[] }
  | { type: 'search'; id: number; query: string; limit: number }
  | { type: 'answer'; id: number; records: SwarmRecord[] };

const TYPE = { records: 1, search: 2, answer: 3 } as const;

/** Upper bound of a well-formed message, enforced by the stream reader before decoding. */
export const MAX_DISCOVERY_FRAME_BYTES = 1 + 4 + 1 + Math.max(MAX_RECORDS_PER_MESSAGE, MAX_ANSWER_RECORDS) * MAX_RECORD_BYTES;

function writeRecords(w: BinaryWriter, records: readonly SwarmRecord[], max: number): BinaryWriter {
  w.count(records.length, max);
  for (const r of records) writeRecord(w, r);
  return w;
}

function readRecords(r: BinaryReader, max: number): SwarmRecord[] {
  const n = r.count(max, 'records');
  const out: SwarmRecord[] = [];
  for (let i = 0; i < n; i++) out.push(readRecord(r));
  return out;
}

function queryProblem(query: string, limit: number): string | undefined {
  if (query.trim() === '') return 'a search query is not blank';
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ANSWER_SWARMS) return `a search asks for 1 to ${MAX_ANSWER_SWARMS} swarms`;
  return undefined;
}

export function encodeDiscoveryMessage(m: DiscoveryMessage): Uint8Array {
  const w = new BinaryWriter(1024).u8(TYPE[m.type]);
  switch (m.type) {
    case 'records':
      return writeRecords(w, m.records, MAX_RECORDS_PER_MESSAGE).finish();
    case 'search': {
      const problem = queryProblem(m.query, m.limit);
      if (problem !== undefined) throw new RangeError(problem);
      return w.u32(m.id).string(m.query, MAX_QUERY_BYTES).u8(m.limit).finish();
    }
    case 'answer':
      return writeRecords(w.u32(m.id), m.records, MAX_ANSWER_RECORDS).finish();
  }
}

export function decodeDiscoveryMessage(bytes: Uint8Array): DiscoveryMessage {
  const r = new BinaryReader(bytes);
  const type = r.u8('message type');
  let m: DiscoveryMessage;
  switch (type) {
    case TYPE.records:
      m = { type: 'records', records: readRecords(r, MAX_RECORDS_PER_MESSAGE) };
      break;
    case TYPE.search: {
      const id = r.u32('search id');
      const query = r.string(MAX_QUERY_BYTES, 'query');
      const limit = r.u8('limit');
      const problem = queryProblem(query, limit);
      if (problem !== undefined) throw new DecodeError('invalid-value', problem);
      m = { type: 'search', id, query, limit };
      break;
    }
    case TYPE.answer:
      m = { type: 'answer', id: r.u32('search id'), records: readRecords(r, MAX_ANSWER_RECORDS) };
      break;
    default:
      throw new DecodeError('unknown-type', `discovery message type ${type} is not known`);
  }
  r.end('discovery message');
  return m;
}
