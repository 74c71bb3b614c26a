/**
 * Test hooks for the ledger's money (test builds only, see test-hooks.ts):
 * verified balances as any peer sees them, fraud proofs with when they
 * arrived, identity backup and restore, and the minting attack, signed by
 * test code through the public OwnChain.
 */
import { fromHex, toHex, utf8 } from '../../codec/bytes.ts';
import { publicKeyFromSeed } from '../../crypto/ed25519.ts';
import { mintAgreementIn } from '../../ledger/test-support.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';


export function moneyHooks(session: AppSession) {
  const ledger = () => running(session).ledger;
  return {
    /**
     * Writes `count` agreements into our own chain, each to proposal 1 of a
     * fresh random key (a proposal that never existed), each claiming `up`
     * bytes uploaded. Returns our new head.
     */
    async mintAgreements(count: number, up: number): Promise<number> {
      const { service, signer } = ledger();
      for (let i = 0; i < count; i++) await mintAgreementIn(service, signer, publicKeyFromSeed(crypto.getRandomValues(new Uint8Array(32))), BigInt(up), Date.now());
      return service.own.latest?.sequenceNumber ?? 0;
    },
    async verifiedBalance(publicKeyHex: string) {
      const v = await ledger().service.verifiedBalance(fromHex(publicKeyHex));
      return { up: v.up.toString(), down: v.down.toString(), net: v.net.toString(), unconfirmedUp: v.unconfirmedUp.toString(), through: v.through, head: v.head, complete: v.complete };
    },
    /** When this tab stored a proof against `publicKeyHex` (ms since the epoch), if it has one. */
    async fraudReceivedAt(publicKeyHex: string): Promise<number | undefined> {
      return (await ledger().service.fraudProofs()).find((f) => toHex(f.offender) === publicKeyHex)?.receivedAt;
    },
    /** The identity backup file's text, as the Identity page saves it. */
    exportIdentity: async () => (await session.exportIdentity()).text,
    /** From now on this tab drops blocks of its own key that peers send it: a second device of the identity it never hears of. */
    neverHearOwnBlocks(): void {
      session.seams!.ledger.keepOwnBlock = () => false;
    },
    /** Restores a backup as the Identity page does, then reloads the page. */
    async importIdentity(text: string): Promise<void> {
      await session.importIdentity(utf8.encode(text));
      location.reload();
    },
  };
}
