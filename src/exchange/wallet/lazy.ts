/**
 * The only way into the Ether wallet: a dynamic import, so viem and the BIP-39
 * wordlist are fetched when the wallet is first used, never with the app's
 * first load. Import nothing else from src/exchange/wallet statically
 * outside this folder (types are fine: `import type`).
 */
export type WalletModule = typeof import('./browser-wallet.ts');

export function loadWallet(): Promise<WalletModule> {
  return import('./browser-wallet.ts');
}
