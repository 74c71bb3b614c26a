/**
 * A fake Ether chain for exchange tests (test support, used only by
 * *.test.ts): every transaction is mined at once with `confirmations`
 * confirmations; balances move by the value only (no gas).
 */
import type { TradeWallet } from './trade-runner.ts';

export class FakeChain {
  readonly txs = new Map<string, { to: string; value: bigint }>();
  readonly balances = new Map<string, bigint>();
  confirmations = 1;

  balanceOf(address: string): bigint {
    return this.balances.get(address.toLowerCase()) ?? 0n;
  }

  fund(address: string, wei: bigint): void {
    this.balances.set(address.toLowerCase(), this.balanceOf(address) + wei);
  }

  wallet(address: string): TradeWallet & { balance(): Promise<{ available: bigint; pending: bigint }> } {
    const from = address.toLowerCase();
    return {
      address: from,
      send: async (to, wei) => {
        if (this.balanceOf(from) < wei) throw new Error(`insufficient funds: ${this.balanceOf(from)} < ${wei}`);
        const hash = `0x${(this.txs.size + 1).toString(16).padStart(64, '0')}`;
        this.txs.set(hash, { to: to.toLowerCase(), value: wei });
        this.balances.set(from, this.balanceOf(from) - wei);
        this.fund(to, wei);
        return hash;
      },
      payment: async (hash) => {
        const tx = this.txs.get(hash);
        return tx === undefined ? undefined : { ...tx, confirmations: this.confirmations };
      },
      balance: async () => ({ available: this.balanceOf(from), pending: 0n }),
    };
  }
}
