/**
 * A local Ethereum node for trying the market: where the anvil binary of
 * `@foundry-rs/anvil` lives, and a JSON-RPC call. Plain JavaScript so
 * `npm start` (plain node) and `npm run fund` use it as the e2e harness
 * (e2e/support/anvil.ts) does. Types: anvil.d.mts.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** anvil's own default port, which wallets and tutorials expect. */
export const DEFAULT_ANVIL_PORT = 8545;

/** The anvil binary inside this platform's package (`@foundry-rs/anvil-<os>-<arch>`, installed by `npm ci`). */
export function anvilBinary() {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
  if (arch === undefined) throw new Error(`anvil has no binary for ${process.platform}/${process.arch}`);
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  let root;
  try {
    root = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed: run \`npm install\` (it comes with the dev dependency @foundry-rs/anvil).`);
  }
  return join(root, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

let nextId = 1;

/** One JSON-RPC call over HTTP; throws with the node's error message, or says the node is unreachable. */
export async function jsonRpc(url, method, params = []) {
  let res;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
  } catch (err) {
    throw new Error(`no Ethereum node answers at ${url} (${err.cause?.message ?? err.message})`);
  }
  const body = await res.json();
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
