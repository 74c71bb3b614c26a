import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';

const KEY_FILE = 'relay.key';

/** Loads the relay's key, or creates one, so its PeerId (and so its addresses) survive restarts. */
export async function loadOrCreateRelayKey(dataDir: string): Promise<{ key: PrivateKey; created: boolean }> {
  const path = join(dataDir, KEY_FILE);
  try {
    return { key: privateKeyFromProtobuf(await readFile(path)), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = await generateKeyPair('Ed25519');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}
