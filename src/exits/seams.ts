/**
 * Interception points of the exit relay that only a test build fills in (see
 * src/app/fault-seams.ts). Empty in production: every field is optional and unset.
 */
export interface ExitSeams {
  /**
   * Asked before the exit passes the originator more of a swarm peer's bytes
   * (`total`: what the stream passed on so far); a promise holds them until it
   * settles (an exit stalled mid-transfer, so a test can take it away then).
   */
  beforeForward?(total: number): Promise<void> | undefined;
}
