/**
 * The hidden-service roles a relay plays at the end of a circuit: introduction
 * point (intro-point.ts: signed descriptors, services reached by their
 * circuits) and rendezvous point (relay-tables.ts: circuits waiting under a
 * cookie, spliced when the other end joins). Each table has its per-neighbour
 * share, and a refusal is answered, never left to time out.
 */
import { toHex } from '../codec/bytes.ts';
import type { RelayCommand } from './cell-wire.ts';
import { MAX_RENDEZVOUS, MAX_RENDEZVOUS_PER_NEIGHBOUR, RENDEZVOUS_WAIT_MS } from './constants.ts';
import { IntroductionPoints } from './intro-point.ts';
import { RendezvousTable } from './relay-tables.ts';
import type { Relayed } from './relayed.ts';
import { verifyEd25519 } from '../crypto/signature.ts';

export interface ServicePointHost {
  /** Our identity: descriptors must name it. */
  publicKey: Uint8Array;
  now(): number;
  /** Sends a relay command back along a circuit we end. */
  answer(r: Relayed, c: RelayCommand): Promise<void>;
}

export class ServicePoints {
  /** Hidden services we introduce: their signed descriptors and the circuits that reach them. */
  private readonly introPoints: IntroductionPoints<Relayed>;
  /** Circuits waiting at this rendezvous point, by cookie (hex). */
  private readonly rendezvous = new RendezvousTable<Relayed>({ total: MAX_RENDEZVOUS, perNeighbour: MAX_RENDEZVOUS_PER_NEIGHBOUR, waitMs: RENDEZVOUS_WAIT_MS });

  constructor(private readonly host: ServicePointHost) {
    this.introPoints = new IntroductionPoints<Relayed>({ ownKey: host.publicKey, now: host.now, verify: verifyEd25519, isOpen: (r) => r.open, neighbourOf: (r) => r.debtor });
  }

  /** The signed descriptors we hold as introduction point for this lookup key (answers lookups). */
  descriptorsFor(lookup: Uint8Array): Uint8Array[] {
    return this.introPoints.descriptorsFor(lookup);
  }

  /** Whether `r` holds a place in one of these tables (its own bound keeps it, not the relay table's). */
  holds(r: Relayed): boolean {
    return this.introPoints.holds(r) || this.rendezvous.holds(r);
  }

  /** Handles `c` if it is one of these roles' commands; false if it is not. */
  handle(r: Relayed, c: RelayCommand): Promise<void> | false {
    if (c.command === 'rendezvous') return this.onRendezvous(r, c.cookie);
    if (c.command === 'join') return this.onJoin(r, c.cookie);
    if (c.command === 'establish-intro') return this.onEstablishIntro(r, c.descriptor, c.proof);
    if (c.command === 'introduce') return this.onIntroduce(r, c);
    return false;
  }

  /** `r` closed: it waits and introduces no more. */
  drop(r: Relayed): void {
    this.rendezvous.drop(r);
    this.introPoints.drop(r);
  }

  /** Ends rendezvous waits past RENDEZVOUS_WAIT_MS, telling their ends; call periodically. */
  async expire(): Promise<void> {
    for (const r of this.rendezvous.expire(this.host.now())) await this.host.answer(r, { command: 'extend-failed', code: 'expired' });
  }

  /** A hidden service makes us one of its introduction points: we learn its service key, never who runs it (intro-point.ts). */
  private async onEstablishIntro(r: Relayed, descriptor: Uint8Array, proof: Uint8Array): Promise<void> {
    const outcome = this.introPoints.establish(r, r.binding, descriptor, proof);
    if (outcome === 'established' || outcome === 'renewed') return this.host.answer(r, { command: 'intro-established' });
    await this.host.answer(r, { command: 'extend-failed', code: outcome === 'full' ? 'table-full' : 'not-introduced' });
  }

  /** A downloader asks us to introduce it: pass its rendezvous offer to the service's circuit. */
  private async onIntroduce(r: Relayed, c: Extract<RelayCommand, { command: 'introduce' }>): Promise<void> {
    const service = this.introPoints.circuitFor(c.service);
    if (service === undefined || !service.open || service === r) return this.host.answer(r, { command: 'introduce-ack', ok: false });
    await this.host.answer(service, c);
    await this.host.answer(r, { command: 'introduce-ack', ok: true });
  }

  /** One end asks us to be its rendezvous point: its circuit waits, under the cookie, for the other end. */
  private async onRendezvous(r: Relayed, cookie: Uint8Array): Promise<void> {
    const outcome = r.spliced !== undefined ? 'duplicate' : this.rendezvous.wait(toHex(cookie), r, r.debtor, this.host.now());
    // Acknowledged, so the end hands out the cookie only once its place is held (Tor's RENDEZVOUS_ESTABLISHED).
    if (outcome === 'waiting') return this.host.answer(r, { command: 'rendezvous-established' });
    // A refusal, not silence: the end can try another rendezvous point at once.
    await this.host.answer(r, { command: 'extend-failed', code: outcome === 'duplicate' ? 'refused' : 'table-full' });
  }

  /** The other end arrives with the cookie: splice the two circuits and tell both. */
  private async onJoin(r: Relayed, cookie: Uint8Array): Promise<void> {
    const waiting = r.spliced === undefined ? this.rendezvous.take(toHex(cookie)) : undefined;
    if (waiting === undefined || waiting === r || !waiting.open) {
      return this.host.answer(r, { command: 'extend-failed', code: 'no-rendezvous' });
    }
    waiting.spliced = r;
    r.spliced = waiting;
    for (const end of [waiting, r]) await this.host.answer(end, { command: 'joined' });
  }
}
