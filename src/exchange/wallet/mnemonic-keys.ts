/**
 * The Ether wallet's keys: a BIP-39 mnemonic made in this browser and kept in
 * IndexedDB, from which viem derives the account (m/44'/60'/0'/0/0, as common
 * wallets do, so the words can also be restored in one of them). Browser glue
 * around a pure export format.
 *
 * The mnemonic is stored as the identity's seed is (src/identity/identity-store.ts):
 * in its own database, written with `durability: 'strict'` so that an address
 * shown to anyone (and then paid) survives a crash.
 *
 * exportWallet / importWallet turn the keys into a JSON-ready object and back,
 * so the identity backup can carry the wallet as one more field later.
 */
import { generateMnemonic, validateMnemonic } from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { mnemonicToAccount, type HDAccount } from 'viem/accounts';
import { MNEMONIC_STRENGTH_BITS, WALLET_DB_NAME, WALLET_DB_VERSION, WALLET_FILE_FORMAT, WALLET_FILE_VERSION, WALLET_FILE_WARNING, WALLET_KEY, WALLET_STORE } from './constants.ts';
import { WalletFileError } from './errors.ts';

export interface WalletKeys {
  /** 12 English BIP-39 words, single spaces. */
  mnemonic: string;
  /** ms since the epoch. */
  createdAt: number;
}

/** What an export holds: plain JSON values. */
export interface WalletExport {
  format: typeof WALLET_FILE_FORMAT;
  version: typeof WALLET_FILE_VERSION;
  mnemonic: string;
  createdAt: string;
  warning: string;
}

interface WalletSchema extends DBSchema {
  keys: { key: string; value: WalletKeys };
}

/** A fresh mnemonic from the browser's CSPRNG. */
export function newWalletKeys(now: () => number = Date.now): WalletKeys {
  return { mnemonic: generateMnemonic(english, MNEMONIC_STRENGTH_BITS), createdAt: now() };
}

/** The account the keys control (signs locally; the key never leaves the page). */
export function accountOf(keys: WalletKeys): HDAccount {
  return mnemonicToAccount(keys.mnemonic);
}

export function exportWallet(keys: WalletKeys): WalletExport {
  return { format: WALLET_FILE_FORMAT, version: WALLET_FILE_VERSION, mnemonic: keys.mnemonic, createdAt: new Date(keys.createdAt).toISOString(), warning: WALLET_FILE_WARNING };
}

/** Reads an export (parsed JSON); throws WalletFileError saying what is wrong and what to do. */
export function importWallet(value: unknown): WalletKeys {
  const file = value as Partial<WalletExport> | null;
  if (typeof file !== 'object' || file === null || file.format !== WALLET_FILE_FORMAT) {
    throw new WalletFileError('This is not a Trustmesh Ether wallet export. Choose the backup that holds your wallet.');
  }
  if (file.version !== WALLET_FILE_VERSION) {
    throw new WalletFileError(`This wallet export has format version ${String(file.version)}; this app reads version ${WALLET_FILE_VERSION}. Update the app and try again.`);
  }
  const mnemonic = typeof file.mnemonic === 'string' ? file.mnemonic.trim().split(/\s+/).join(' ') : '';
  if (!validateMnemonic(mnemonic, english)) {
    throw new WalletFileError('This wallet export is damaged: its recovery words are not a valid English BIP-39 mnemonic. Choose another copy of the backup.');
  }
  const createdAt = Date.parse(String(file.createdAt));
  return { mnemonic, createdAt: Number.isFinite(createdAt) ? createdAt : Date.now() };
}

/** The wallet's IndexedDB store. */
export class WalletKeyStore {
  private constructor(private readonly db: IDBPDatabase<WalletSchema>) {}

  static async open(name = WALLET_DB_NAME): Promise<WalletKeyStore> {
    const db = await openDB<WalletSchema>(name, WALLET_DB_VERSION, {
      upgrade(database) {
        database.createObjectStore(WALLET_STORE);
      },
    });
    return new WalletKeyStore(db);
  }

  async load(): Promise<WalletKeys | undefined> {
    return this.db.get(WALLET_STORE, WALLET_KEY);
  }

  /** The wallet's keys, made and durably stored on first use. */
  async loadOrCreate(): Promise<{ keys: WalletKeys; created: boolean }> {
    const fresh = newWalletKeys();
    // One read-write transaction: two tabs opening at once get the same wallet, never one each.
    const tx = this.db.transaction(WALLET_STORE, 'readwrite', { durability: 'strict' });
    const existing = await tx.store.get(WALLET_KEY);
    if (existing === undefined) await tx.store.put(fresh, WALLET_KEY);
    await tx.done;
    return existing === undefined ? { keys: fresh, created: true } : { keys: existing, created: false };
  }

  /** Replaces the keys (an import): the previous wallet is gone unless it was exported. */
  async save(keys: WalletKeys): Promise<void> {
    const tx = this.db.transaction(WALLET_STORE, 'readwrite', { durability: 'strict' });
    await tx.store.put({ mnemonic: keys.mnemonic, createdAt: keys.createdAt }, WALLET_KEY);
    await tx.done;
  }

  close(): void {
    this.db.close();
  }
}
