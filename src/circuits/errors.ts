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
