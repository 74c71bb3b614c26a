/**
 * Test hooks for debts that follow the key (test builds only, see
 * test-hooks.ts): what this tab's debt book says about a key, what storage
 * holds, wires closed for a key switch; and a hostile peer that, through the
 * sharing seam `onWire`, names a second key on a wire it already proved.
 */
import type { Wire } from 'webtorrent';
import { bestSigner } from '../../crypto/signers.ts';
import { STOCK_POOL, type DebtRecord } from '../../sharing/debt-book.ts';
import { NONCE_BYTES, payHandshakeFields } from '../../sharing/pay-wire.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';


/** Bigints as decimal strings, so Playwright can carry them. */
const plain = (r: DebtRecord | undefined) => r && { unpaid: r.unpaid.toString(), acked: r.acked.toString(), owed: r.owed.toString(), sent: r.sent.toString() };

/** Sends a second extended handshake on `wire`, naming another (fresh, valid) key with our extension. */
async function announceAnotherKey(wire: Wire): Promise<void> {
  const other = await bestSigner(crypto.getRandomValues(new Uint8Array(32)));
  const m = Object.fromEntries(Object.entries((wire as unknown as { extendedMapping: Record<string, string> }).extendedMapping).map(([id, name]) => [name, Number(id)]));
  const handshake = { ...wire.extendedHandshake, ...payHandshakeFields(other.publicKey, crypto.getRandomValues(new Uint8Array(NONCE_BYTES))), m };
  (wire as unknown as { extended(ext: number, obj: object): void }).extended(0, handshake);
}

export function sharingDebtHooks(session: AppSession) {
  const sharing = () => running(session).sharing;
  const captured: { wire: Wire; infoHash: string; closed: boolean }[] = [];
  return {
    /** What this tab's book holds for a key (hex), live connections included; `stock` for the pool. */
    debt: (keyHex: string) => plain(sharing().debts.book.account(keyHex).record()),
    stockPool: () => plain(sharing().debts.book.account(STOCK_POOL).record()),
    /** What storage holds for a key now (written at most a second after a change). */
    storedDebt: async (keyHex: string) => plain(await sharing().debts.stored(keyHex)),
    keySwitches: () => sharing().keySwitches,
    /** Keeps this tab's wires of `infoHash` (from now on) for switchKey. */
    captureWires(infoHash: string): void {
      const seams = session.seams!.sharing;
      const before = seams.onWire;
      seams.onWire = (wire, ih) => {
        before?.(wire, ih);
        if (ih !== infoHash) return;
        const c = { wire, infoHash: ih, closed: false };
        captured.push(c);
        wire.once('close', () => (c.closed = true));
      };
    },
    /** On every open captured wire of `infoHash`, names a second key; resolves with how many were sent. */
    async switchKey(infoHash: string): Promise<number> {
      const open = captured.filter((c) => c.infoHash === infoHash && !c.closed);
      for (const c of open) await announceAnotherKey(c.wire);
      return open.length;
    },
    /** Captured wires of `infoHash` still open. */
    openWires: (infoHash: string) => captured.filter((c) => c.infoHash === infoHash && !c.closed).length,
  };
}
