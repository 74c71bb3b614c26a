/**
 * Browser glue: this profile's Ether wallet, its keys from IndexedDB
 * (mnemonic-keys.ts) and its endpoint from the link, Settings or the build
 * (endpoint.ts). Reached only through lazy.ts's dynamic import.
 *
 * For the Market page and the exchange's network wiring (later):
 *   const { wallet, endpoint, endpointError } = await (await loadWallet()).openBrowserWallet();
 * `endpointError` is set when an endpoint was given but is unusable; the
 * wallet then has its address but no chain (its calls throw NoEndpointError),
 * and the page should show the error's message.
 */
import { ETH_ENDPOINT_SETTING_KEY } from './constants.ts';
import { parseEndpoint, resolveEthEndpoint, type EthEndpoint } from './endpoint.ts';
import { InvalidEndpointError } from './errors.ts';
import { EthWallet } from './eth-wallet.ts';
import { accountOf, exportWallet, importWallet, WalletKeyStore, type WalletExport } from './mnemonic-keys.ts';

export { EthWallet, type EthBalance, TransactionFailedError } from './eth-wallet.ts';
export * from './errors.ts';
export type { WalletExport } from './mnemonic-keys.ts';
export { WALLET_FILE_WARNING } from './constants.ts';

export interface BrowserWallet {
  wallet: EthWallet;
  endpoint: EthEndpoint | undefined;
  endpointError: InvalidEndpointError | undefined;
}

let opened: Promise<BrowserWallet> | undefined;

/** The endpoint this page uses (link > Settings > build); throws InvalidEndpointError for an unusable one. */
export function pageEthEndpoint(): EthEndpoint | undefined {
  return resolveEthEndpoint({
    search: location.search,
    saved: localStorage.getItem(ETH_ENDPOINT_SETTING_KEY) ?? undefined,
    build: import.meta.env.VITE_TRUSTMESH_ETH_RPC as string | undefined,
  });
}

/** The endpoint saved in Settings, as typed ('' when none). */
export function savedEthEndpoint(): string {
  return localStorage.getItem(ETH_ENDPOINT_SETTING_KEY) ?? '';
}

/** Saves the Settings endpoint (empty: none); refuses an unusable one with InvalidEndpointError. Takes effect on reload. */
export function saveEthEndpoint(text: string): void {
  const trimmed = text.trim();
  if (trimmed === '') localStorage.removeItem(ETH_ENDPOINT_SETTING_KEY);
  else localStorage.setItem(ETH_ENDPOINT_SETTING_KEY, parseEndpoint(trimmed));
}

/** This profile's wallet, made on first use; one per page. */
export function openBrowserWallet(): Promise<BrowserWallet> {
  opened ??= (async () => {
    const store = await WalletKeyStore.open();
    try {
      const { keys } = await store.loadOrCreate();
      let endpoint: EthEndpoint | undefined;
      let endpointError: InvalidEndpointError | undefined;
      try {
        endpoint = pageEthEndpoint();
      } catch (err) {
        if (!(err instanceof InvalidEndpointError)) throw err;
        endpointError = err;
      }
      return { wallet: new EthWallet(accountOf(keys), { endpoint: endpoint?.url }), endpoint, endpointError };
    } finally {
      store.close();
    }
  })();
  opened.catch(() => (opened = undefined)); // a failed open (e.g. storage blocked) may be retried
  return opened;
}

/** The wallet for a backup (the identity backup will carry it). */
export async function exportBrowserWallet(): Promise<WalletExport> {
  const store = await WalletKeyStore.open();
  try {
    return exportWallet((await store.loadOrCreate()).keys);
  } finally {
    store.close();
  }
}

/** Throws WalletFileError when `value` is not a restorable wallet export; changes nothing (checked before a restore begins). */
export function checkWalletExport(value: unknown): void {
  importWallet(value);
}

/** Restores a wallet from a backup, replacing this profile's; reload the page to use it. */
export async function importBrowserWallet(value: unknown): Promise<void> {
  const keys = importWallet(value);
  const store = await WalletKeyStore.open();
  try {
    await store.save(keys);
    opened = undefined;
  } finally {
    store.close();
  }
}
