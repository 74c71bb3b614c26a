/**
 * Test hooks for the Ether wallet (test builds only, see test-hooks.ts). The
 * wallet module is dynamic-imported on first use, as the app will: amounts
 * cross page.evaluate as decimal wei strings.
 */
import { loadWallet } from '../../exchange/wallet/lazy.ts';
import type { AppSession } from '../app-session.ts';

export function walletHooks(_session: AppSession) {
  const wallet = async () => (await (await loadWallet()).openBrowserWallet()).wallet;
  return {
    /** Makes (or loads) this profile's wallet; returns its address. */
    address: async (): Promise<string> => (await wallet()).address,
    async balance(): Promise<{ available: string; pending: string }> {
      const b = await (await wallet()).balance();
      return { available: b.available.toString(), pending: b.pending.toString() };
    },
    /** Pays `wei` to `to`; returns the transaction hash. */
    send: async (to: string, wei: string): Promise<string> => (await wallet()).send(to, BigInt(wei)),
    confirmations: async (hash: string): Promise<number> => (await wallet()).confirmations(hash as `0x${string}`),
    waitConfirmations: async (hash: string, n: number): Promise<number> => (await (await wallet()).waitConfirmations(hash as `0x${string}`, n)).confirmations,
    /** The error a chain call gives, as `name: message` (for the no-endpoint case). */
    async balanceError(): Promise<string | undefined> {
      try {
        await (await wallet()).balance();
        return undefined;
      } catch (err) {
        return `${(err as Error).name}: ${(err as Error).message}`;
      }
    },
  };
}
