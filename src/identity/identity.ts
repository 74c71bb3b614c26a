/**
 * A peer's identity: one Ed25519 key per browser profile. The same key is the
 * libp2p PeerId and the owner of the TrustChain chain. Pure: creation takes
 * injected randomness and clock; the backup file format lives here.
 */
import { BinaryReader, BinaryWriter } from '../codec/binary.ts';
import { fromBase64Url, toBase64Url, bytesEqual, utf8 } from '../codec/bytes.ts';
import { fingerprint, publicKeyFromSeed, SEED_LENGTH } from '../crypto/ed25519.ts';
import { derivePublicKey } from '../crypto/native-ed25519.ts';

export interface Identity {
  /** 32-byte Ed25519 seed. Secret: never logged, never sent. */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

export function createIdentity(randomBytes: (n: number) => Uint8Array, now: () => number): Identity {
  const seed = randomBytes(SEED_LENGTH);
  return { seed, publicKey: publicKeyFromSeed(seed), createdAt: now() };
}

/** createIdentity for a tab: the key is derived natively where the engine agrees, so a first visit builds no JavaScript table. */
export async function createIdentityNatively(randomBytes: (n: number) => Uint8Array, now: () => number, subtle?: SubtleCrypto | null): Promise<Identity> {
  const seed = randomBytes(SEED_LENGTH);
  return { seed, publicKey: await derivePublicKey(seed, subtle), createdAt: now() };
}

export function identityFingerprint(identity: Pick<Identity, 'publicKey'>): string {
  return fingerprint(identity.publicKey);
}

/** Backup file format. */
export const IDENTITY_FILE_FORMAT = 'trustmesh-identity';
export const IDENTITY_FILE_VERSION = 1;
/**
 * A backup is the key (a few hundred bytes) plus the owner's chain, so that a
 * restored identity continues its chain instead of forking it: a long-used
 * identity holds tens of thousands of ~200-byte blocks. Far larger is not a backup.
 */
export const IDENTITY_FILE_MAX_BYTES = 64 * 1024 * 1024;

export const IDENTITY_FILE_WARNING =
  'This file is your Trustmesh identity. Anyone who has it can spend your bandwidth tokens and sign in your name. ' +
  'Keep it private. Never run the same identity in two browsers at once: both would extend your chain, ' +
  'which the network treats as a double spend and bans for good.';

/** Shown before a restore: the one mistake a restore invites is running the identity in two places. */
export const IDENTITY_RESTORE_WARNING =
  'Use an identity in one browser at a time. If the browser this backup came from still runs Trustmesh, close it there ' +
  'and do not use it there again: two browsers signing as one identity fork its chain, and every peer then refuses ' +
  'that identity for good. After the restore, this browser first asks its peers for your latest blocks, then signs.';

/** What to do about a damaged backup; every refusal tells the user a next step. */
const DAMAGED_ADVICE = 'Choose another copy of the file, or export the identity again from the browser that has it.';

export class IdentityFileError extends Error {
  override name = 'IdentityFileError';
}

interface IdentityFileJson {
  format: string;
  version: number;
  publicKey: string;
  seed: string;
  createdAt: string;
  warning: string;
  /** Optional: the owner's ledger records (base64url of u32-length-prefixed entries). */
  records?: string;
  /**
   * Optional: the Ether wallet's export (src/exchange/wallet, its own format,
   * version and warning). Opaque here; the wallet checks it. Added within
   * version 1: older files lack it, and older apps ignore it.
   */
  wallet?: BackupWallet;
}

/** A wallet export as JSON: an object whose contents only the wallet module reads. */
export type BackupWallet = Readonly<Record<string, unknown>>;

/** A decoded backup: the identity, the ledger records and the wallet that came with it. */
export interface Backup {
  identity: Identity;
  records: Uint8Array[];
  /** Absent in backups made before the wallet existed. */
  wallet?: BackupWallet;
}

function isJsonObject(value: unknown): value is BackupWallet {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function packRecords(records: readonly Uint8Array[]): Uint8Array {
  const w = new BinaryWriter(1024);
  for (const r of records) w.bytes(r, 0xffff_ffff);
  return w.finish();
}

function unpackRecords(bytes: Uint8Array): Uint8Array[] {
  const r = new BinaryReader(bytes);
  const out: Uint8Array[] = [];
  while (r.remaining > 0) out.push(r.bytes(IDENTITY_FILE_MAX_BYTES, 'ledger record'));
  return out;
}

/**
 * The backup file; `records` are the owner's ledger blocks (opaque here), so a
 * restore continues the chain; `wallet` is the Ether wallet's export.
 */
export function encodeIdentityFile(identity: Identity, records: readonly Uint8Array[] = [], wallet?: BackupWallet): string {
  const file: IdentityFileJson = {
    format: IDENTITY_FILE_FORMAT,
    version: IDENTITY_FILE_VERSION,
    publicKey: toBase64Url(identity.publicKey),
    seed: toBase64Url(identity.seed),
    createdAt: new Date(identity.createdAt).toISOString(),
    warning: IDENTITY_FILE_WARNING,
    ...(records.length > 0 ? { records: toBase64Url(packRecords(records)) } : {}),
    ...(wallet !== undefined ? { wallet } : {}),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function identityFileName(identity: Identity): string {
  return `trustmesh-identity-${identityFingerprint(identity)}.json`;
}

/** Parses a backup file, checking that its secret and public key belong together. */
export function decodeIdentityFile(bytes: Uint8Array): Identity {
  return decodeBackup(bytes).identity;
}

/** Parses a backup file with the ledger records and wallet it carries (the wallet's contents are checked by the wallet). */
export function decodeBackup(bytes: Uint8Array): Backup {
  if (bytes.length > IDENTITY_FILE_MAX_BYTES) {
    throw new IdentityFileError('This file is too large to be a Trustmesh identity backup. Choose the .json file you exported.');
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new IdentityFileError('This file is not a Trustmesh identity backup (it is not JSON). Choose the .json file you exported.');
  }
  const file = json as Partial<IdentityFileJson> | null;
  if (typeof file !== 'object' || file === null || file.format !== IDENTITY_FILE_FORMAT) {
    throw new IdentityFileError('This file is not a Trustmesh identity backup. Choose the .json file you exported.');
  }
  if (file.version !== IDENTITY_FILE_VERSION) {
    throw new IdentityFileError(`This backup has format version ${String(file.version)}; this app reads version ${IDENTITY_FILE_VERSION}. Update the app and try again.`);
  }
  let seed: Uint8Array;
  let publicKey: Uint8Array;
  try {
    seed = fromBase64Url(String(file.seed));
    publicKey = fromBase64Url(String(file.publicKey));
  } catch {
    throw new IdentityFileError(`This backup is damaged: its keys are not readable. ${DAMAGED_ADVICE}`);
  }
  if (seed.length !== SEED_LENGTH || !bytesEqual(publicKeyFromSeed(seed), publicKey)) {
    throw new IdentityFileError(`This backup is damaged: its secret key does not match its public key. ${DAMAGED_ADVICE}`);
  }
  const createdAt = Date.parse(String(file.createdAt));
  let records: Uint8Array[] = [];
  if (file.records !== undefined) {
    try {
      records = unpackRecords(fromBase64Url(String(file.records)));
    } catch {
      throw new IdentityFileError(`This backup is damaged: its ledger records are not readable. ${DAMAGED_ADVICE}`);
    }
  }
  if (file.wallet !== undefined && !isJsonObject(file.wallet)) {
    throw new IdentityFileError(`This backup is damaged: its Ether wallet is not readable. ${DAMAGED_ADVICE}`);
  }
  const backup: Backup = { identity: { seed, publicKey, createdAt: Number.isFinite(createdAt) ? createdAt : 0 }, records };
  if (file.wallet !== undefined) backup.wallet = file.wallet;
  return backup;
}
