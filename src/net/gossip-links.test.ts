/**
 * The gossip link keeper. Pure: which link GossipSub is re-attached to. On real
 * GossipSub (in-memory transport): two links between a pair, both identified,
 * and the one carrying GossipSub's streams closes; without the keeper the pair
 * stays connected and hears nothing from each other, with it both directions
 * carry messages again, and what each published before the break still arrives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '@libp2p/interface';
import { until } from '../testing/until.ts';
import { utf8 } from '../codec/bytes.ts';
import { GOSSIP_LINKS, keepGossipLinks, linkToReattach } from './gossip-links.ts';
import { linkOnTopic, memoryGossipNode, type GossipNode } from './memory-gossip-node.ts';

const TOPIC = '/trustmesh/test-links/1.0.0';
/** The sweep's period in the test of a reset stream: short, so the test waits on the sweep's outcome, not its clock. */
const SHORT_SWEEP_MS = 50;
/** Whether x's GossipSub has a stream to send to y on (an internal the keeper reads too). */
const hasStream = (x: GossipNode, y: GossipNode): boolean => (x.services.pubsub as unknown as { streamsOutbound: Map<string, unknown> }).streamsOutbound.has(y.peerId.toString());

describe('linkToReattach', () => {
  const open = { status: 'open', limits: undefined } as const;
  const closed = { status: 'closed', limits: undefined } as const;
  const limited = { status: 'open', limits: { bytes: 1n } } as unknown as Pick<Connection, 'status' | 'limits'>;

  const never = (): number => 0;

  it('re-attaches a neighbour that speaks GossipSub and has no stream, to an open direct link', () => {
    expect(linkToReattach([closed, limited, open], true, false, never)).toBe(open);
  });
  it('leaves a neighbour whose stream runs, one that does not speak GossipSub, and one reached only through a relay', () => {
    expect(linkToReattach([open], true, true, never)).toBeUndefined();
    expect(linkToReattach([open], false, false, never)).toBeUndefined();
    expect(linkToReattach([limited, closed], true, false, never)).toBeUndefined();
  });
  it('gives up on a link after a few tries (its far end may be gone), and tries the next', () => {
    const other = { status: 'open', limits: undefined } as const;
    const tried = (l: object): number => (l === open ? GOSSIP_LINKS.triesPerLink : 0);
    expect(linkToReattach([open, other], true, false, tried)).toBe(other);
    expect(linkToReattach([open], true, false, tried)).toBeUndefined();
  });
});

describe('keepGossipLinks on GossipSub', () => {
  const stops: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  /** Two subscribed nodes with two identified links between them, and what each hears. */
  async function pairWithTwoLinks(keeper: boolean, sweepMs?: number): Promise<{ a: GossipNode; b: GossipNode; heard: Record<'a' | 'b', string[]>; first: Connection }> {
    const [a, b] = await Promise.all([memoryGossipNode([TOPIC]), memoryGossipNode([TOPIC])]);
    stops.push(() => a.stop(), () => b.stop());
    if (keeper) stops.push(keepGossipLinks(a, a.services.pubsub, sweepMs), keepGossipLinks(b, b.services.pubsub, sweepMs));
    const heard = { a: [] as string[], b: [] as string[] };
    for (const [name, n] of [['a', a], ['b', b]] as const) {
      n.services.pubsub.subscribe(TOPIC);
      n.services.pubsub.addEventListener('message', (e) => heard[name].push(utf8.decode(e.detail.data)));
    }
    await linkOnTopic(a, b, TOPIC);
    const first = a.getConnections(b.peerId)[0]!;
    let identified = 0;
    for (const n of [a, b]) n.addEventListener('peer:identify', () => identified++);
    // The second link, as when both ends dialled at once; identify runs on it, so libp2p reports nothing new later.
    await b.dial(a.getMultiaddrs(), { force: true });
    // At least one report per end (identify may report again, e.g. on a push): wait on the condition, not a count.
    await until(() => identified >= 2, 'the second link is identified at both ends');
    return { a, b, heard, first };
  }

  async function exchange(a: GossipNode, b: GossipNode, heard: Record<'a' | 'b', string[]>, tag: string): Promise<void> {
    await a.services.pubsub.publish(TOPIC, utf8.encode(`from a ${tag}`));
    await b.services.pubsub.publish(TOPIC, utf8.encode(`from b ${tag}`));
    await until(() => heard.b.includes(`from a ${tag}`) && heard.a.includes(`from b ${tag}`), `both hear ${tag}`);
  }

  it('keeps both directions carrying messages when the link with the streams closes and another stays', async () => {
    const { a, b, heard, first } = await pairWithTwoLinks(true);
    await exchange(a, b, heard, 'before');
    await first.close();
    expect(a.getConnections(b.peerId)).toHaveLength(1);
    // What is published in the moment before the keeper re-attaches is lost as before: the sender's own re-sends cover it.
    await until(() => hasStream(a, b) && hasStream(b, a), 'the streams are open again, both ways');
    await exchange(a, b, heard, 'after');
  });

  it('re-opens a stream that was reset while its link stays open', async () => {
    const { a, b, heard, first } = await pairWithTwoLinks(true, SHORT_SWEEP_MS);
    // A's outbound stream is reset; no link closes, so only the sweep can tell.
    const outbound = first.streams.find((s) => s.protocol?.startsWith('/meshsub/') === true && s.direction === 'outbound');
    outbound!.abort(new Error('reset by the test'));
    await until(() => !hasStream(a, b), "GossipSub drops the reset stream");
    await until(() => hasStream(a, b), 'the sweep opens it again');
    await exchange(a, b, heard, 'after the reset');
  });

  it('(the break it mends) without the keeper, the pair stays connected and hears nothing more', async () => {
    const { a, b, heard, first } = await pairWithTwoLinks(false);
    await first.close();
    await a.services.pubsub.publish(TOPIC, utf8.encode('lost'));
    // Published into the void: GossipSub has the peer, subscribed, with no stream to send on.
    expect(a.getConnections(b.peerId)).toHaveLength(1);
    expect(a.services.pubsub.getSubscribers(TOPIC).map(String)).toEqual([b.peerId.toString()]);
    expect(hasStream(a, b)).toBe(false);
    expect(heard.b).toEqual([]);
  });
});
