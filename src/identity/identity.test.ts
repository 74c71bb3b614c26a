import { describe, expect, it, vi } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toBase64Url, toHex, utf8 } from '../codec/bytes.ts';
import {
  createIdentityNatively,
  createIdentity,
  decodeIdentityFile,
  encodeIdentityFile,
  IDENTITY_FILE_FORMAT,
  IDENTITY_FILE_MAX_BYTES,
  IDENTITY_FILE_VERSION,
  IDENTITY_FILE_WARNING,
  identityFileName,
  identityFingerprint,
  IdentityFileError,
  type Identity,
  decodeBackup,
  type BackupWallet,
} from './identity.ts';
import { WALLET_FILE_WARNING } from '../exchange/wallet/constants.ts';
import { WalletFileError } from '../exchange/wallet/errors.ts';
import { exportWallet, importWallet } from '../exchange/wallet/mnemonic-keys.ts';

// RFC 8032, section 7.1, test 1.
const RFC_SEED = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const RFC_PUBLIC = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');

const CREATED = Date.UTC(2026, 10, 24, 5, 30);
const filled = (byte: number) => (n: number): Uint8Array => new Uint8Array(n).fill(byte);
const identity = createIdentity(() => RFC_SEED.slice(), () => CREATED);

/** The exported file as an object, to tamper with. */
const exported = (): Record<string, unknown> => JSON.parse(encodeIdentityFile(identity)) as Record<string, unknown>;
const asFile = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));

function refusal(bytes: Uint8Array): string {
  let caught: unknown;
  try {
    decodeIdentityFile(bytes);
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error('the file was accepted');
  expect(caught).toBeInstanceOf(IdentityFileError);
  expect((caught as Error).name).toBe('IdentityFileError');
  return (caught as Error).message;
}

/** Every refusal tells the user what to do next, not only what is wrong. */
const ACTIONABLE = /Choose the \.json file you exported|Update the app and try again|Choose another copy of the file/;

describe('createIdentity', () => {
  it('derives the Ed25519 public key from a 32-byte seed drawn from the injected source', () => {
    const random = vi.fn(() => RFC_SEED.slice());
    const id = createIdentity(random, () => CREATED);
    expect(random).toHaveBeenCalledTimes(1);
    expect(random).toHaveBeenCalledWith(32);
    expect(id.seed).toEqual(RFC_SEED);
    expect(id.publicKey).toEqual(RFC_PUBLIC);
    expect(id.createdAt).toBe(CREATED);
  });

  it('is deterministic in its seed, and different seeds give different keys', () => {
    expect(createIdentity(filled(7), () => 0).publicKey).toEqual(createIdentity(filled(7), () => 1).publicKey);
    expect(createIdentity(filled(7), () => 0).publicKey).not.toEqual(createIdentity(filled(8), () => 0).publicKey);
  });

  it('refuses a random source that returns the wrong number of bytes', () => {
    expect(() => createIdentity(() => new Uint8Array(31), () => 0)).toThrow(RangeError);
  });

  it('gives the same identity when the key is derived natively (a tab) or in JavaScript (no native engine)', async () => {
    expect(await createIdentityNatively(() => RFC_SEED.slice(), () => CREATED)).toEqual({ seed: RFC_SEED, publicKey: RFC_PUBLIC, createdAt: CREATED });
    expect(await createIdentityNatively(() => RFC_SEED.slice(), () => CREATED, null)).toEqual({ seed: RFC_SEED, publicKey: RFC_PUBLIC, createdAt: CREATED });
    await expect(createIdentityNatively(() => new Uint8Array(31), () => 0)).rejects.toThrow(RangeError);
  });
});

describe('identityFingerprint and identityFileName', () => {
  it('is the first 8 bytes of the key\'s SHA-256 as four groups of four hex digits', () => {
    const fp = identityFingerprint(identity);
    expect(fp).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/);
    expect(fp.replace(/-/g, '')).toBe(toHex(sha256(RFC_PUBLIC).subarray(0, 8)));
  });

  it('differs between keys and depends only on the public key', () => {
    expect(identityFingerprint(createIdentity(filled(1), () => 0))).not.toBe(identityFingerprint(createIdentity(filled(2), () => 0)));
    expect(identityFingerprint({ publicKey: RFC_PUBLIC })).toBe(identityFingerprint(identity));
  });

  it('names the backup after the fingerprint', () => {
    expect(identityFileName(identity)).toBe(`trustmesh-identity-${identityFingerprint(identity)}.json`);
  });
});

describe('encodeIdentityFile', () => {
  it('writes readable JSON with the format, version, unpadded base64url keys, ISO date and the warning', () => {
    const text = encodeIdentityFile(identity);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      format: IDENTITY_FILE_FORMAT,
      version: IDENTITY_FILE_VERSION,
      publicKey: toBase64Url(RFC_PUBLIC),
      seed: toBase64Url(RFC_SEED),
      createdAt: '2026-11-24T05:30:00.000Z',
      warning: IDENTITY_FILE_WARNING,
    });
    // 32 bytes as unpadded base64url: 43 URL-safe characters.
    const file = JSON.parse(text) as { seed: string; publicKey: string };
    expect(file.seed).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(file.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(IDENTITY_FILE_WARNING).toContain('Keep it private');
    expect(IDENTITY_FILE_WARNING).toContain('Never run the same identity in two browsers at once');
  });
});

describe('decodeIdentityFile', () => {
  it('restores exactly what was exported', () => {
    expect(decodeIdentityFile(utf8.encode(encodeIdentityFile(identity)))).toEqual<Identity>(identity);
    const other = createIdentity(filled(0xfe), () => 0);
    expect(decodeIdentityFile(utf8.encode(encodeIdentityFile(other)))).toEqual(other);
  });

  it('accepts a file re-saved by an editor: byte-order mark, CRLF, other spacing, extra fields', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8.encode(encodeIdentityFile(identity).replace(/\n/g, '\r\n'))]);
    expect(decodeIdentityFile(bom)).toEqual(identity);
    expect(decodeIdentityFile(asFile({ ...exported(), note: 'laptop' }))).toEqual(identity);
  });

  it('accepts a file of exactly the size limit', () => {
    const text = encodeIdentityFile(identity);
    const padded = text.replace(/}\n$/, '}' + ' '.repeat(IDENTITY_FILE_MAX_BYTES - utf8.encode(text).length + 1));
    expect(utf8.encode(padded).length).toBe(IDENTITY_FILE_MAX_BYTES);
    expect(decodeIdentityFile(utf8.encode(padded))).toEqual(identity);
  });

  it('keeps the key when the creation date is missing or unreadable', () => {
    expect(decodeIdentityFile(asFile({ ...exported(), createdAt: 'yesterday' }))).toEqual({ ...identity, createdAt: 0 });
    const { createdAt: _, ...undated } = exported();
    expect(decodeIdentityFile(asFile(undated)).createdAt).toBe(0);
  });
});

describe('decodeIdentityFile refusals: each an IdentityFileError saying what to do', () => {
  it('refuses a file over the size limit before parsing it', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const message = refusal(utf8.encode(' '.repeat(IDENTITY_FILE_MAX_BYTES + 1)));
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    expect(message).toContain('too large');
    expect(message).toMatch(ACTIONABLE);
    // A genuine backup padded past the limit is refused too.
    const text = encodeIdentityFile(identity);
    expect(refusal(utf8.encode(text + ' '.repeat(IDENTITY_FILE_MAX_BYTES)))).toContain('too large');
  });

  it.each([
    ['plain text', utf8.encode('hello')],
    ['an empty file', new Uint8Array(0)],
    ['cut-off JSON', utf8.encode(encodeIdentityFile(identity).slice(0, 40))],
    ['bytes that are not UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ['a PNG image', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ])('refuses %s as not JSON', (_, bytes) => {
    const message = refusal(bytes);
    expect(message).toContain('not a Trustmesh identity backup (it is not JSON)');
    expect(message).toMatch(ACTIONABLE);
  });

  it.each([
    ['another app\'s JSON', { format: 'other', version: 1 }],
    ['a backup without a format', (() => { const { format: _, ...rest } = exported(); return rest; })()],
    ['null', null],
    ['an array', [exported()]],
    ['a number', 42],
    ['a string', IDENTITY_FILE_FORMAT],
  ])('refuses %s as not a backup', (_, value) => {
    const message = refusal(asFile(value));
    expect(message).toBe('This file is not a Trustmesh identity backup. Choose the .json file you exported.');
  });

  it.each([
    [2, 'format version 2'],
    [0, 'format version 0'],
    ['1', 'format version 1'], // a string is not the number 1
    [undefined, 'format version undefined'],
  ])('refuses version %j, naming it and the version this app reads', (version, named) => {
    const message = refusal(asFile({ ...exported(), version }));
    expect(message).toContain(named);
    expect(message).toContain(`this app reads version ${IDENTITY_FILE_VERSION}`);
    expect(message).toContain('Update the app and try again');
  });

  it.each([
    ['a seed with characters outside base64url', { seed: '%%%' }],
    ['a seed in standard base64 with padding', { seed: Buffer.from(RFC_SEED).toString('base64') }],
    ['a public key of impossible length', { publicKey: 'abcde' }],
    ['a public key with spaces', { publicKey: 'a b c d' }],
  ])('refuses %s as unreadable', (_, change) => {
    const message = refusal(asFile({ ...exported(), ...change }));
    expect(message).toContain('This backup is damaged: its keys are not readable.');
    expect(message).toMatch(ACTIONABLE);
  });

  it.each([
    ['the seed of another identity', () => ({ seed: toBase64Url(createIdentity(filled(8), () => 0).seed) })],
    ['the public key of another identity', () => ({ publicKey: toBase64Url(createIdentity(filled(8), () => 0).publicKey) })],
    ['a seed one byte short', () => ({ seed: toBase64Url(RFC_SEED.subarray(0, 31)) })],
    ['a seed one byte long', () => ({ seed: toBase64Url(new Uint8Array([...RFC_SEED, 0])) })],
    ['a flipped bit in the public key', () => ({ publicKey: toBase64Url(RFC_PUBLIC.map((b, i) => (i === 0 ? b ^ 1 : b))) })],
    ['an empty public key', () => ({ publicKey: '' })],
  ])('refuses %s as a mismatched pair', (_, change) => {
    const message = refusal(asFile({ ...exported(), ...change() }));
    expect(message).toContain('This backup is damaged: its secret key does not match its public key.');
    expect(message).toMatch(ACTIONABLE);
  });

  it.each([
    ['no seed', { seed: undefined }],
    ['no public key', { publicKey: undefined }],
    ['a null seed', { seed: null }],
    ['a numeric public key', { publicKey: 12345678 }],
    ['keys as byte arrays', { seed: Array.from(RFC_SEED), publicKey: Array.from(RFC_PUBLIC) }],
  ])('refuses %s as damaged', (_, change) => {
    const message = refusal(asFile({ ...exported(), ...change }));
    expect(message).toMatch(/^This backup is damaged: /);
    expect(message).toMatch(ACTIONABLE);
  });
});

describe('backups with ledger records', () => {
  const identity = createIdentity((n) => new Uint8Array(n).fill(4), () => 0);

  it('carry the owner\'s records through export and import', () => {
    const records = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(9)];
    const backup = decodeBackup(utf8.encode(encodeIdentityFile(identity, records)));
    expect(backup.identity).toEqual(identity);
    expect(backup.records).toEqual(records);
    expect(decodeBackup(utf8.encode(encodeIdentityFile(identity))).records).toEqual([]);
  });

  it('refuse damaged records with advice', () => {
    const file = JSON.parse(encodeIdentityFile(identity, [new Uint8Array([1, 2, 3])]));
    file.records = file.records.slice(0, 5);
    expect(() => decodeBackup(utf8.encode(JSON.stringify(file)))).toThrow(/ledger records are not readable.*export the identity again/);
  });
});

describe('backups with the Ether wallet', () => {
  const owner = createIdentity((n) => new Uint8Array(n).fill(5), () => 0);
  // The wallet's own export (a test may import the wallet statically; the app reaches it only through lazy.ts).
  const wallet = (): BackupWallet => ({ ...exportWallet({ mnemonic: 'test test test test test test test test test test test junk', createdAt: Date.UTC(2026, 11, 1) }) });

  it('carry the wallet export through export and import, beside the records', () => {
    const records = [new Uint8Array([7, 7])];
    const text = encodeIdentityFile(owner, records, wallet());
    const backup = decodeBackup(utf8.encode(text));
    expect(backup.identity).toEqual(owner);
    expect(backup.records).toEqual(records);
    expect(backup.wallet).toEqual(wallet());
    // The wallet module restores what the backup carried: the same words, so the same address.
    expect(importWallet(backup.wallet).mnemonic).toBe('test test test test test test test test test test test junk');
    // The file stays version 1 (the field is optional) and carries the wallet's own warning.
    expect(JSON.parse(text)).toMatchObject({ version: IDENTITY_FILE_VERSION, wallet: { warning: WALLET_FILE_WARNING } });
  });

  it('without a wallet, as every backup made before it existed, still import, with no wallet', () => {
    const file = exported();
    expect(file).not.toHaveProperty('wallet');
    expect(decodeBackup(asFile(file))).toEqual({ identity, records: [] });
    expect(decodeBackup(utf8.encode(encodeIdentityFile(owner))).wallet).toBeUndefined();
  });

  it('refuse a wallet field that is not an object with advice, before anything is restored', () => {
    for (const damaged of ['test test junk', 42, null, [1, 2]]) {
      const file = { ...JSON.parse(encodeIdentityFile(owner, [], wallet())), wallet: damaged };
      expect(() => decodeBackup(asFile(file))).toThrow(IdentityFileError);
      expect(() => decodeBackup(asFile(file))).toThrow(/Ether wallet is not readable.*export the identity again/);
    }
  });

  it('leave the wallet\'s contents to the wallet, which refuses damaged words with its own advice', () => {
    const file = JSON.parse(encodeIdentityFile(owner, [], wallet())) as { wallet: Record<string, unknown> };
    file.wallet.mnemonic = 'test test test test test test test test test test test test';
    const backup = decodeBackup(asFile(file));
    expect(() => importWallet(backup.wallet)).toThrow(WalletFileError);
    expect(() => importWallet(backup.wallet)).toThrow(/recovery words are not a valid.*Choose another copy of the backup/);
  });
});
