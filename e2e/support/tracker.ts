/** What a WebSocket tracker tells anyone who asks about a swarm (BEP 48 scrape over its WebSocket protocol). */
import WebSocket from 'ws';

/** Seeders (complete) and leechers (incomplete) the tracker has on record for `infoHash` (hex). */
export async function scrape(trackerUrl: string, infoHash: string): Promise<{ complete: number; incomplete: number }> {
  const ws = new WebSocket(trackerUrl);
  // The tracker's protocol names swarms by their infohash as a binary string (one char per byte).
  const key = Buffer.from(infoHash, 'hex').toString('latin1');
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => ws.once('message', (m) => resolve(JSON.parse(String(m)) as Record<string, unknown>)).once('error', reject));
    ws.send(JSON.stringify({ action: 'scrape', info_hash: key }));
    const files = (await answer).files as Record<string, { complete: number; incomplete: number }> | undefined;
    const swarm = files?.[key];
    return { complete: swarm?.complete ?? 0, incomplete: swarm?.incomplete ?? 0 };
  } finally {
    ws.close();
  }
}
