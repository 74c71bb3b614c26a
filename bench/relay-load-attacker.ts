/**
 * The attacker of the relay load bench, as its own process (so its busy loops do
 * not starve the honest clients it is measured against): each exhaustion the
 * relay's limits guard against, all at once, for a while.
 * argv: <relay p2p multiaddr> <relay http url> <duration, ms>.
 * Prints `ready` once its peers are connected (at nice 19 on a busy machine that
 * takes seconds, which must not eat into the attack), then attacks for the
 * duration, then prints `figures <json>`.
 */
import WebSocket from 'ws';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { waitFor } from '../e2e/support/processes.ts';
import { RELAY_LIMITS, RELAY_PEX } from '../relay/limits.ts';
import { HOP_STATUS, reserve } from '../relay/test-support.ts';
import { askRelay, hasReservation, startClient, trackerSocket, trackerPeerId } from './relay-load-clients.ts';
import type { Figure } from './env.ts';

const SINK = '/trustmesh-bench/sink/1.0.0';

/**
 * libp2p in this process can throw from its own event handlers once the relay
 * cuts a stream under it (a push onto a stream it already closed); a real
 * attacker does not stop for that, and neither does this one: counted, reported.
 */
let uncaught = 0;
process.on('uncaughtException', () => uncaught++);

/** The flooding tracker client's address, as the relay's proxy names it (loopback itself is the proxy and is not limited). */
const FLOOD_HEADERS = { 'X-Forwarded-For': '203.0.113.66' };

/** Each exhaustion the limits guard against, all at once, for `durationMs` from when its peers are ready. */
async function attack(relay: { p2p: Multiaddr; httpUrl: string }, durationMs: number): Promise<() => Promise<Figure[]>> {
  const figures: Figure[] = [];
  const fig = (name: string, value: number, unit: string, note?: string): void => {
    figures.push({ section: 'relay-load', name: `attack: ${name}`, value, unit, ...(note === undefined ? {} : { note }) });
  };
  const running: Promise<void>[] = [];

  // Every attacking peer and socket first.
  const spammer = await startClient(relay.p2p, false);
  const tunnelEnd = await startClient(relay.p2p, true);
  await waitFor('the tunnel end reserved', async () => (hasReservation(tunnelEnd) ? true : undefined), 30_000);
  let tunnelled = 0;
  await tunnelEnd.handle(SINK, async (stream) => {
    for await (const chunk of stream) tunnelled += chunk.byteLength;
  }, { runOnLimitedConnection: true });
  const tunnelStart = await startClient(relay.p2p, false);
  const big = await trackerSocket(relay.httpUrl);
  const ws = await trackerSocket(relay.httpUrl, FLOOD_HEADERS);
  const walker = await startClient(relay.p2p, false);
  process.stdout.write('ready\n');
  const until = Date.now() + durationMs;

  // 1. One peer asks for reservations as fast as it can.
  running.push((async () => {
    let ok = 0;
    let refused = 0;
    while (Date.now() < until) {
      const status = await reserve(spammer, relay.p2p).catch(() => -1);
      if (status === HOP_STATUS.OK) ok++;
      else refused++;
    }
    fig('RESERVE requests granted to one peer', ok, 'count', `${refused} refused; limit ${RELAY_LIMITS.reserveRequestsPerPeer.count} per ${RELAY_LIMITS.reserveRequestsPerPeer.windowMs / 60_000} min`);
  })());

  // 2. Two peers chain relayed connections into a tunnel.
  running.push((async () => {
    const startedAt = Date.now();
    let connections = 0;
    let refusedDials = 0;
    const chunk = new Uint8Array(16 * 1024);
    while (Date.now() < until) {
      try {
        const conn = await tunnelStart.dial(multiaddr(`${relay.p2p.toString()}/p2p-circuit/p2p/${tunnelEnd.peerId.toString()}`), { signal: AbortSignal.timeout(5_000) });
        connections++;
        const stream = await conn.newStream(SINK, { runOnLimitedConnection: true });
        // Until the relay cuts it (or it stops draining for 2 s): then dial again.
        while (Date.now() < until && stream.status === 'open' && conn.status === 'open') {
          if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(2_000) });
          else await new Promise((r) => setImmediate(r)); // send may accept without blocking: let the rest of this process run
        }
      } catch {
        refusedDials++;
        await new Promise((r) => setTimeout(r, 200)); // a real attacker would retry too
      }
      await tunnelStart.hangUp(tunnelEnd.peerId, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    fig('tunnel through chained relayed connections', tunnelled / 1024, 'KiB', `${(tunnelled / 1024 / seconds).toFixed(1)} KiB/s over ${connections} connections, ${refusedDials} dials refused or cut; budget ${RELAY_LIMITS.relayedBytesPerPeer.bytes / 1024} KiB per ${RELAY_LIMITS.relayedBytesPerPeer.windowMs / 60_000} min`);
  })());

  // 3. Tracker: an oversize message, then one address (named by the proxy, as in production) joins as many swarms and
  // sends as many requests as it can, opening a new socket whenever the relay closes one.
  running.push((async () => {
    const code = await new Promise<number>((r) => {
      big.once('close', (c) => r(c));
      big.send('x'.repeat(RELAY_LIMITS.trackerMaxMessageBytes + 1));
    });
    fig('tracker socket sending 64 KiB + 1 closed with', code, 'code');
    let accepted = 0;
    let refused = 0;
    let closedByRelay = 0;
    let opensRefused = 0;
    let ending = false;
    const watch = (s: WebSocket): WebSocket => {
      s.on('message', (data) => ('failure reason' in (JSON.parse(String(data)) as object) ? refused++ : accepted++));
      s.once('close', () => ending || closedByRelay++);
      return s;
    };
    let socket: WebSocket | undefined = watch(ws);
    let sent = 0;
    while (Date.now() < until) {
      if (socket?.readyState !== WebSocket.OPEN) {
        socket = await trackerSocket(relay.httpUrl, FLOOD_HEADERS).then(watch, () => undefined);
        if (socket === undefined) opensRefused++;
        continue;
      }
      socket.send(JSON.stringify({ action: 'announce', event: 'started', info_hash: `flood-${sent}`.padEnd(20, '.'), peer_id: trackerPeerId(777_777), offers: [] }));
      sent++;
      if (sent % 100 === 0) await new Promise((r) => setImmediate(r));
      if (socket.bufferedAmount > 1024 * 1024) await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 500)); // late replies
    ending = true;
    const { trackerRequestsPerSocket: perSocket, trackerRefusalsBeforeCut, trackerSocketOpensPerAddress: opens } = RELAY_LIMITS;
    fig('tracker announces from one address: accepted', accepted, 'count', `${sent} sent, ${refused} refused, ${closedByRelay} sockets closed by the relay, ${opensRefused} new sockets refused; limits ${RELAY_LIMITS.trackerSwarmsPerSocket} swarms, ${perSocket.count} requests per ${perSocket.windowMs / 1000} s a socket, closed ${trackerRefusalsBeforeCut} past it, ${opens.count} sockets opened per ${opens.windowMs / 1000} s an address`);
    socket?.terminate();
  })());

  // 4. Discovery: one connection asks the relay who is there as fast as it can (each answer samples every reservation).
  running.push((async () => {
    let answered = 0;
    let refused = 0;
    const startedAt = Date.now();
    while (Date.now() < until) {
      if ((await askRelay(walker, relay.p2p)) === undefined) refused++;
      else answered++;
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const { count, windowMs } = RELAY_PEX.answersPerConnection;
    fig('PEX answers to one connection asking as fast as it can', answered, 'count', `${refused} refused in ${seconds.toFixed(0)} s; limit ${count} per ${windowMs / 1000} s`);
  })());

  return async () => {
    await Promise.all(running);
    await Promise.all([spammer.stop(), tunnelEnd.stop(), tunnelStart.stop(), walker.stop()]);
    fig('exceptions inside the attackers\' own libp2p (streams cut under them)', uncaught, 'count');
    return figures;
  };
}


const [p2p, httpUrl, duration] = process.argv.slice(2);
const finish = await attack({ p2p: multiaddr(p2p!), httpUrl: httpUrl! }, Number(duration));
process.stdout.write(`figures ${JSON.stringify(await finish())}\n`);
process.exit(0);
