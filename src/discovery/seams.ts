/**
 * Interception points of discovery that only a test build fills in (see
 * src/app/fault-seams.ts). Empty in production: every field is optional and unset.
 */
export interface DiscoverySeams {
  /**
   * Asked before records pushed by a neighbour (gossip and greetings, not
   * search answers) are taken; false drops them, as if the gossip had not
   * reached this tab yet.
   */
  takeGossip?(fromPeerId: string): boolean;
}
