import { describe, expect, it } from 'vitest';
import { utf8, toBase64Url } from '../codec/bytes.ts';
import { createIdentity, decodeIdentityFile, encodeIdentityFile, identityFileName, identityFingerprint, IdentityFileError, IDENTITY_FILE_MAX_BYTES } from './identity.ts';

const seeded = (byte: number) => (n: number): Uint8Array => new Uint8Array(n).fill(byte);
const identity = createIdentity(seeded(7), () => Date.UTC(2026, 10, 24));

function refusal(text: string): string {
  try {
    decodeIdentityFile(utf8.encode(text));
  } catch (err) {
    expect(err).toBeInstanceOf(IdentityFileError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('identity', () => {
  it('is created from injected randomness and clock', () => {
    expect(identity.seed).toEqual(new Uint8Array(32).fill(7));
    expect(identity.publicKey).toHaveLength(32);
    expect(identity.createdAt).toBe(Date.UTC(2026, 10, 24));
    expect(createIdentity(seeded(7), () => 0).publicKey).toEqual(identity.publicKey);
  });

  it('has a short grouped fingerprint and a file name that carries it', () => {
    expect(identityFingerprint(identity)).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/);
    expect(identityFileName(identity)).toBe(`trustmesh-identity-${identityFingerprint(identity)}.json`);
  });

  it('survives export and import', () => {
    const text = encodeIdentityFile(identity);
    expect(text).toContain('Anyone who has it can spend your bandwidth tokens');
    expect(decodeIdentityFile(utf8.encode(text))).toEqual(identity);
  });

  it('refuses what is not a backup, saying what to do', () => {
    expect(refusal('hello')).toContain('Choose the .json file you exported');
    expect(refusal('{"format":"other"}')).toContain('not a Trustmesh identity backup');
    expect(refusal('null')).toContain('not a Trustmesh identity backup');
    expect(refusal(JSON.stringify({ ...JSON.parse(encodeIdentityFile(identity)), version: 9 }))).toContain('Update the app');
    expect(refusal(JSON.stringify({ ...JSON.parse(encodeIdentityFile(identity)), seed: '%%%' }))).toContain('damaged');
    const other = createIdentity(seeded(8), () => 0);
    expect(refusal(JSON.stringify({ ...JSON.parse(encodeIdentityFile(identity)), seed: toBase64Url(other.seed) }))).toContain('does not match');
    expect(refusal(' '.repeat(IDENTITY_FILE_MAX_BYTES + 1))).toContain('too large');
  });
});
