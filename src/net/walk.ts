/**
 * How a tab learns of peers without a flood (issue #19): walks of peer
 * exchange. Each step asks one peer or relay for a few peers it knows, so a
 * tab's discovery traffic is a few messages a minute whatever the network's size.
 */
export const WALK = {
  /** A tab asks one random neighbour this often: a slow walk, enough to keep candidates fresh for refreshes. */
  askNeighbourEveryMs: 30_000,
  /**
   * While a tab has fewer neighbours than its target it also asks one of its relays this often
   * (besides on connecting and when its reservation lands): two tabs that asked before either was
   * reserved find each other at the next ask. A relay answers 4 per 20 s a connection (relay/limits.ts).
   */
  askRelayWhileShortEveryMs: 10_000,
} as const;
