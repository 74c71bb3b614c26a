/**
 * Test hooks for hidden swarms (test builds only, see test-hooks.ts): a
 * neighbour that answers lookups with forged descriptors, a downloader that
 * records (or replays) its introductions, introductions sent by test code
 * (an attacker sampling a seeder's first hops),
 * and what a seeder did with the introductions it received.
 */
import { bytesEqual, fromHex, toHex } from '../../codec/bytes.ts';
import { signEd25519 } from '../../crypto/signature.ts';
import { descriptorSigningBytes, encodeDescriptor } from '../../circuits/descriptor-wire.ts';
import { COOKIE_BYTES } from '../../circuits/cell-wire.ts';
import { clientStart, staticPublicKeyOf } from '../../circuits/handshake.ts';
import { lookupKeyOf } from '../../circuits/hidden-service.ts';
import { sealIntroduction } from '../../circuits/intro-seal.ts';
import type { CircuitSeams } from '../../circuits/seams.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';

export function hiddenHooks(session: AppSession) {
  const hidden = () => running(session).hidden;
  const seams = (): CircuitSeams => {
    if (session.seams === undefined) throw new Error('this build has no fault seams (build with --mode test)');
    return session.seams.circuits;
  };
  let lies = 0;
  const tried: { introPoint: string; service: string }[] = [];
  return {
    /** The valid descriptors a lookup finds (service key and introduction points, hex). */
    descriptors: async (infoHash: string) => (await hidden().lookup(infoHash)).map((d) => ({ service: toHex(d.serviceKey), introPoints: d.introPoints.map(toHex) })),
    /**
     * From now on this tab answers every lookup for `infoHash` with descriptors
     * that name itself as the introduction point of the swarm's real service
     * key: the seeder's descriptor with its points swapped (its signature kept),
     * and the same signed with this tab's own key. Returns how many it answers with.
     */
    async lieInLookups(infoHash: string): Promise<number> {
      const [honest] = await hidden().lookup(infoHash);
      if (honest === undefined) throw new Error('no descriptor to forge from yet');
      const { identity } = running(session);
      const body = { ...honest, introPoints: [identity.publicKey] };
      const forged = [encodeDescriptor(body), encodeDescriptor({ ...body, signature: signEd25519(identity.seed, descriptorSigningBytes(body)) })];
      const target = lookupKeyOf(fromHex(infoHash));
      seams().lookupAnswers = (lookup, own) => {
        if (!bytesEqual(lookup, target)) return own;
        lies++;
        return forged;
      };
      return forged.length;
    },
    /** Lookups answered with forgeries so far. */
    liesTold: () => lies,
    /**
     * Records every introduction this tab attempts (before its circuits are
     * built), and sends each `times` times on its circuit: 2 replays it.
     */
    tapIntroductions(times: number): void {
      seams().introductionTap = (introPoint, service) => {
        tried.push({ introPoint: toHex(introPoint), service: toHex(service) });
        return async (send) => {
          for (let i = 0; i < times; i++) await send();
        };
      };
    },
    introductionsTried: () => tried,
    discardedAnswers: () => hidden().discardedAnswers(),
    introductionStats: () => hidden().introductionStats(),
    guardKeys: () => hidden().guardKeys(),
    /**
     * Sends `count` introductions to the hidden seeder of `infoHash`, as an
     * attacker sampling its first hops would: each a fresh offer naming the
     * next of our relays as rendezvous point, where no one waits, over one
     * circuit (through a relay) to each of its introduction points in turn.
     * Resolves once every one was acknowledged.
     */
    async sendIntroductions(infoHash: string, count: number): Promise<number> {
      const [d] = await hidden().lookup(infoHash);
      if (d === undefined) throw new Error('no hidden seeder found for this swarm');
      const circuits = running(session).circuits;
      const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
      const intros = await Promise.all(d.introPoints.map((p) => circuits.build([...circuits.pickRelays(1, [p]), p])));
      const rendezvous = circuits.relayCandidates();
      try {
        for (let i = 0; i < count; i++) {
          const ephemeral = clientStart(random);
          const sealed = await sealIntroduction(ephemeral, staticPublicKeyOf(d.serviceKey), { cookie: random(COOKIE_BYTES), rendezvous: rendezvous[i % rendezvous.length]! });
          await intros[i % intros.length]!.introduce({ service: d.serviceKey, X: ephemeral.publicKey, sealed });
        }
      } finally {
        for (const c of intros) void c.close();
      }
      return count;
    },
  };
}
