/**
 * Glue: what reaches the WebTorrent tracker (bittorrent-tracker) inside the
 * relay. Messages are checked before the tracker sees them; a refused request
 * gets a `failure reason`, as the tracker itself answers bad requests, and the
 * socket stays open, unless it keeps sending past its share of requests: then
 * it is closed. Checked: requests per socket and per address (every message,
 * before it is read), shape (fields the tracker trusts outside its try/catch),
 * offers per announce, and swarms per socket and per address; sockets opened
 * per address.
 */
import type { WebSocket } from 'ws';
import { Tally, WindowCounter, type RelayLimits, type Refusals } from './limits.ts';

interface TrackerRequest {
  action: 'announce' | 'scrape';
  infoHash: unknown;
  event: unknown;
  offers: unknown;
  answer: unknown;
}

/**
 * bittorrent-tracker trusts the shape of some fields outside its try/catch: a
 * scrape whose info_hash is not a string or list (`.map` is not a function), or
 * a null entry in `offers` once another peer is in the swarm. Either is an
 * uncaught exception that stops the relay. Only requests whose fields have
 * those shapes reach the tracker.
 */
export function parseTrackerRequest(data: unknown): TrackerRequest | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(String(data));
  } catch {
    return undefined;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return undefined;
  const { action, info_hash: infoHash, offers, event, answer } = msg as Record<string, unknown>;
  if (action === 'scrape') {
    const ok = infoHash === undefined || infoHash === null || typeof infoHash === 'string' || (Array.isArray(infoHash) && infoHash.every((h) => typeof h === 'string'));
    return ok ? { action, infoHash, event, offers, answer } : undefined;
  }
  if (action === 'announce') {
    const ok = offers === undefined || offers === null || (Array.isArray(offers) && offers.every((o) => typeof o === 'object' && o !== null));
    return ok ? { action, infoHash, event, offers, answer } : undefined;
  }
  return undefined;
}

export interface TrackerGuard {
  /**
   * Whether another tracker socket from this address may open. `address`: the key
   * for per-address limits (limitedAddress), undefined when they do not apply.
   */
  admits(address: string | undefined): boolean;
  /** Filters this socket's messages from now on, and counts it until it closes. */
  guard(ws: WebSocket, address: string | undefined): void;
}

export function trackerGuard(limits: RelayLimits, refusals: Refusals, now: () => number): TrackerGuard {
  const socketsPerAddress = new Tally<string>();
  const swarmsPerAddress = new Tally<string>();
  const requestsPerAddress = new WindowCounter<string>(limits.trackerRequestsPerAddress.count, limits.trackerRequestsPerAddress.windowMs, now);
  const opensPerAddress = new WindowCounter<string>(limits.trackerSocketOpensPerAddress.count, limits.trackerSocketOpensPerAddress.windowMs, now);

  let sockets = 0;

  return {
    admits: (address) => {
      const ok = sockets < limits.trackerSockets && (address === undefined || (socketsPerAddress.get(address) < limits.trackerSocketsPerAddress && opensPerAddress.take(address)));
      if (!ok) refusals.trackerSockets++;
      return ok;
    },
    guard(ws, seen) {
      // A socket whose address is not limited still has its own limits; its address key is its own.
      const perAddress = seen !== undefined;
      const address = seen ?? '';
      sockets++;
      ws.once('close', () => sockets--);
      if (perAddress) socketsPerAddress.add(address);
      const swarms = new Set<string>();
      const requests = new WindowCounter<'socket'>(limits.trackerRequestsPerSocket.count, limits.trackerRequestsPerSocket.windowMs, now);
      const pastShare = new WindowCounter<'socket'>(limits.trackerRefusalsBeforeCut, limits.trackerRequestsPerSocket.windowMs, now);
      let cut = false;
      ws.once('close', () => {
        if (!perAddress) return;
        socketsPerAddress.add(address, -1);
        swarmsPerAddress.add(address, -swarms.size);
      });

      /** Charges a message to the socket's and the address's shares (both, so a socket over its own also uses its address's). */
      const charge = (): { socket: boolean; address: boolean } => ({ socket: requests.take('socket'), address: !perAddress || requestsPerAddress.take(address) });

      /** Why a request within its shares may not reach the tracker, or undefined when it may. */
      const refusal = (req: TrackerRequest): string | undefined => {
        if (req.action !== 'announce' || typeof req.infoHash !== 'string') return undefined;
        if (Array.isArray(req.offers) && req.offers.length > limits.trackerOffersPerAnnounce) {
          return `too many offers: at most ${limits.trackerOffersPerAnnounce} per announce`;
        }
        if (req.event === 'stopped') {
          if (swarms.delete(req.infoHash) && perAddress) swarmsPerAddress.add(address, -1);
          return undefined;
        }
        if (swarms.has(req.infoHash) || req.answer !== undefined) return undefined;
        if (swarms.size >= limits.trackerSwarmsPerSocket) return `too many swarms: at most ${limits.trackerSwarmsPerSocket} per connection`;
        if (perAddress && swarmsPerAddress.get(address) >= limits.trackerSwarmsPerAddress) return `too many swarms from your address: at most ${limits.trackerSwarmsPerAddress}`;
        swarms.add(req.infoHash);
        if (perAddress) swarmsPerAddress.add(address);
        return undefined;
      };

      const emit = ws.emit.bind(ws);
      ws.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
        if (event !== 'message') return emit(event, ...args);
        // Messages already received when the socket was closed are dropped unread.
        if (cut) return true;
        const within = charge();
        // Only the socket's own share counts towards closing it: an honest socket is refused, not closed, when others of its address used up theirs.
        if (!within.socket && !pastShare.take('socket')) {
          cut = true;
          refusals.trackerSocketsCut++;
          ws.terminate();
          return true;
        }
        const req = parseTrackerRequest(args[0]);
        const reason = !within.socket || !within.address ? 'too many requests: announce again after the interval' : req === undefined ? 'malformed tracker request' : refusal(req);
        if (reason === undefined) return emit(event, ...args);
        refusals.trackerRequests++;
        // action and info_hash let the WebTorrent client route the failure to its torrent.
        const reply: Record<string, unknown> = { 'failure reason': reason };
        if (req !== undefined) {
          reply.action = req.action;
          if (typeof req.infoHash === 'string') reply.info_hash = req.infoHash;
        }
        ws.send(JSON.stringify(reply));
        return true;
      }) as WebSocket['emit'];
    },
  };
}
