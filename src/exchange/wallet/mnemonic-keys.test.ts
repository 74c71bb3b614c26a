import 'fake-indexeddb/auto';
import { validateMnemonic } from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';
import { describe, expect, it } from 'vitest';
import { WALLET_FILE_WARNING } from './constants.ts';
import { WalletFileError } from './errors.ts';
import { accountOf, exportWallet, importWallet, newWalletKeys, WalletKeyStore } from './mnemonic-keys.ts';

// The BIP-39 test mnemonic and its first Ethereum account (m/44'/60'/0'/0/0), as every wallet derives it.
const TEST_MNEMONIC = 'test test test test test test test test test test test junk';
const TEST_ADDRESS = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

describe('wallet keys', () => {
  it('are a fresh 12-word English mnemonic each time', () => {
    const a = newWalletKeys();
    expect(a.mnemonic.split(' ')).toHaveLength(12);
    expect(validateMnemonic(a.mnemonic, english)).toBe(true);
    expect(newWalletKeys().mnemonic).not.toBe(a.mnemonic);
  });

  it('derive the standard first account', () => {
    expect(accountOf({ mnemonic: TEST_MNEMONIC, createdAt: 0 }).address).toBe(TEST_ADDRESS);
  });

  it('export with the warning and import back', () => {
    const keys = { mnemonic: TEST_MNEMONIC, createdAt: 1_700_000_000_000 };
    const exported = exportWallet(keys);
    expect(exported.warning).toBe(WALLET_FILE_WARNING);
    expect(WALLET_FILE_WARNING).toContain('Anyone who has them can spend');
    expect(importWallet(JSON.parse(JSON.stringify(exported)))).toEqual(keys);
    // Extra whitespace from a hand-copied backup is fine.
    expect(importWallet({ ...exported, mnemonic: ` ${TEST_MNEMONIC.replaceAll(' ', '  ')}\n` }).mnemonic).toBe(TEST_MNEMONIC);
  });

  it('refuse imports that are not a wallet, of another version, or with damaged words', () => {
    const exported = exportWallet({ mnemonic: TEST_MNEMONIC, createdAt: 0 });
    expect(() => importWallet(null)).toThrow(WalletFileError);
    expect(() => importWallet({ ...exported, format: 'trustmesh-identity' })).toThrow(/not a Trustmesh Ether wallet/);
    expect(() => importWallet({ ...exported, version: 2 })).toThrow(/version 2.*Update the app/);
    expect(() => importWallet({ ...exported, mnemonic: TEST_MNEMONIC.replace('junk', 'test') })).toThrow(/damaged/); // bad checksum
    expect(() => importWallet({ ...exported, mnemonic: 42 })).toThrow(/damaged/);
  });
});

describe('WalletKeyStore', () => {
  it('makes the wallet once and gives the same one after a reopen', async () => {
    const store = await WalletKeyStore.open('wallet-test-1');
    const first = await store.loadOrCreate();
    expect(first.created).toBe(true);
    store.close();
    const reopened = await WalletKeyStore.open('wallet-test-1');
    expect(await reopened.loadOrCreate()).toEqual({ keys: first.keys, created: false });
    reopened.close();
  });

  it('gives two tabs opening at once the same wallet', async () => {
    const [a, b] = await Promise.all([WalletKeyStore.open('wallet-test-2'), WalletKeyStore.open('wallet-test-2')]);
    const [ka, kb] = await Promise.all([a.loadOrCreate(), b.loadOrCreate()]);
    expect(ka.keys).toEqual(kb.keys);
    expect([ka.created, kb.created].filter(Boolean)).toHaveLength(1);
    a.close();
    b.close();
  });

  it('replaces the keys on import', async () => {
    const store = await WalletKeyStore.open('wallet-test-3');
    await store.loadOrCreate();
    const imported = importWallet(exportWallet({ mnemonic: TEST_MNEMONIC, createdAt: 5 }));
    await store.save(imported);
    expect(await store.load()).toEqual(imported);
    store.close();
  });
});
