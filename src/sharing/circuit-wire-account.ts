/**
 * Paying over an anonymous wire (pure). Neither end of a wire over circuits
 * knows the other's key, so no block may pair them: the downloader pays
 * through the circuits (OriginCircuit.payThrough), and each end asks, in its
 * BEP 10 extended handshake, a rate in tokens per byte that covers its own
 * relays (one token per byte each) plus one for the data itself.
 */

/** The extended-handshake field carrying an end's rate. */
export const CIRCUIT_RATE_FIELD = 'tm_circuit_rate';
/** Up to 3 relays and the rendezvous point, plus the data: no honest end asks more. */
export const MAX_CIRCUIT_RATE = 5;

/** The rate an end with `pathLength` paid peers on its circuit asks. */
export function circuitRate(pathLength: number): number {
  return Math.min(MAX_CIRCUIT_RATE, pathLength + 1);
}

/** The rate the other end asked, as we will pay it: a missing or odd value counts as 1 (the data alone). */
export function peerCircuitRate(handshake: Record<string, unknown> | undefined): number {
  const v = handshake?.[CIRCUIT_RATE_FIELD];
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_CIRCUIT_RATE ? v : 1;
}

/**
 * The rate we pay the other end for verified bytes: what it asked, but never
 * more than our own path justifies. Its relays sit behind a rendezvous point we
 * cannot see, so its path length is a claim nobody can check; our own path is
 * the one fact we have, and an honest end picks its hops as we do (1 to 3, the
 * same default both ways). Paying min(its ask, our own ask) caps what a lying
 * far end gains at what we would charge for the same service, never pays more
 * than it asked, and is what both ends compute, so an honest uploader charges
 * exactly what it is paid (CircuitWireAccount.agreeRate).
 */
export function paidCircuitRate(farHandshake: Record<string, unknown> | undefined, ourPathLength: number): number {
  return Math.min(peerCircuitRate(farHandshake), circuitRate(ourPathLength));
}

/** What the other end owes us for what we uploaded to it, and what it paid. */
export class CircuitWireAccount {
  private charged = 0n;
  private paidIn = 0n;
  /** Tokens per byte we charge: our ask until the other end's handshake, then the lower of both asks. */
  private price: number;

  /** `rate`: what we ask (circuitRate of our path). */
  constructor(readonly rate: number) {
    this.price = rate;
  }

  /** The other end's handshake: it will pay min(our ask, its own), so that is what we charge. */
  agreeRate(farHandshake: Record<string, unknown> | undefined): void {
    this.price = Math.min(this.rate, peerCircuitRate(farHandshake));
  }

  uploaded(bytes: number): void {
    this.charged += BigInt(bytes) * BigInt(this.price);
  }

  paid(tokens: bigint): void {
    this.paidIn += tokens;
  }

  get received(): bigint {
    return this.paidIn;
  }

  /** Bytes uploaded and not yet paid for (what the free-riding policy bounds). */
  get unpaidBytes(): bigint {
    const owed = this.charged - this.paidIn;
    return owed <= 0n ? 0n : owed / BigInt(this.price);
  }
}
