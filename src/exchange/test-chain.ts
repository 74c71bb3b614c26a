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
  /** Transactions that reached the chain (a re-sent signed one counts once). */
  broadcasts = 0;
  private readonly signed: string[] = [];
  private readonly nonces = new Map<string, number>();

  balanceOf(address: string): bigint {
    return this.balances.get(address.toLowerCase()) ?? 0n;
  }

  fund(address: string, wei: bigint): void {
    this.balances.set(address.toLowerCase(), this.balanceOf(address) + wei);
  }

  wallet(address: string): TradeWallet & { send(to: string, wei: bigint): Promise<string>; balance(): Promise<{ available: bigint; pending: bigint }> } {
    const from = address.toLowerCase();
    const wallet = {
      address: from,
      sign: async (to: string, wei: bigint) => {
        if (this.balanceOf(from) < wei) throw new Error(`insufficient funds: ${this.balanceOf(from)} < ${wei}`);
        const nonce = (this.nonces.get(from) ?? 0) + 1;
        this.nonces.set(from, nonce);
        const raw = JSON.stringify({ from, to: to.toLowerCase(), value: String(wei), nonce });
        return { hash: `0x${(this.signed.push(raw)).toString(16).padStart(64, '0')}`, raw };
      },
      /** Idempotent, as a chain is: the same signed bytes are one transaction. */
      broadcast: async (raw: string) => {
        const hash = `0x${(this.signed.indexOf(raw) + 1).toString(16).padStart(64, '0')}`;
        if (this.txs.has(hash)) return hash;
        const tx = JSON.parse(raw) as { from: string; to: string; value: string };
        this.broadcasts++;
        this.txs.set(hash, { to: tx.to, value: BigInt(tx.value) });
        this.balances.set(tx.from, this.balanceOf(tx.from) - BigInt(tx.value));
        this.fund(tx.to, BigInt(tx.value));
        return hash;
      },
      send: async (to: string, wei: bigint) => wallet.broadcast((await wallet.sign(to, wei)).raw),
      payment: async (hash: string) => {
        const tx = this.txs.get(hash);
        return tx === undefined ? undefined : { ...tx, confirmations: this.confirmations };
      },
      balance: async () => ({ available: this.balanceOf(from), pending: 0n }),
    };
    return wallet;
  }
}
