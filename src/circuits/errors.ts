import type { FailCode } from './cell-wire.ts';

/** Why building or using a circuit failed, in words a user can act on. */
export class CircuitError extends Error {
  override name = 'CircuitError';
  constructor(
    readonly code: 'no-relays' | 'handshake' | 'timeout' | 'refused' | 'unpaid' | 'broken' | 'closed' | 'limit',
    message: string,
  ) {
    super(message);
  }
}

/** Our own words for a hop's failure code: relays send codes, never text (cell-wire.ts). */
export const FAILURE_TEXT: Record<FailCode, string> = {
  unreachable: 'the next hop could not be reached',
  refused: 'the hop refused',
  limit: 'the hop is at a limit',
  'no-rendezvous': 'no circuit waits for that cookie there',
  'not-introduced': 'not introduced there',
  'table-full': 'the hop has no room for it',
  expired: 'nobody joined in time',
  protocol: 'the hop could not follow the request',
};
