#!/usr/bin/env node
/**
 * `npm run fund -- <address> [ether]`: gives a wallet Ether on the local
 * anvil node that `npm start -- --chain anvil` runs (anvil_setBalance: adds
 * to the balance, no transaction). The address is on each profile's Market page.
 *
 * Endpoint: ETH_RPC, else http://127.0.0.1:ANVIL_PORT/ (default 8545).
 * Works only against anvil (or another node with anvil_setBalance), never a real chain.
 */
import { DEFAULT_ANVIL_PORT, jsonRpc } from './anvil.mjs';

/** Enough for many local trades, small enough to read. */
const DEFAULT_ETHER = '10';
const WEI_PER_ETHER = 10n ** 18n;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const ETHER_AMOUNT = /^(\d+)(?:\.(\d{1,18}))?$/;

const usage = 'usage: npm run fund -- <0x address> [ether, default 10]   (endpoint: ETH_RPC or http://127.0.0.1:$ANVIL_PORT/)';

function fail(message) {
  console.error(message);
  process.exit(1);
}

/** Decimal Ether to wei, exactly (no floating point). */
function parseEther(text) {
  const m = ETHER_AMOUNT.exec(text);
  if (m === null) fail(`"${text}" is not an amount of Ether (e.g. 10 or 0.5).\n${usage}`);
  return BigInt(m[1]) * WEI_PER_ETHER + BigInt((m[2] ?? '').padEnd(18, '0'));
}

function formatEther(wei) {
  const fraction = (wei % WEI_PER_ETHER).toString().padStart(18, '0').replace(/0+$/, '');
  return `${wei / WEI_PER_ETHER}${fraction === '' ? '' : `.${fraction}`}`;
}

const [address, ether = DEFAULT_ETHER, ...rest] = process.argv.slice(2);
if (address === undefined || address === '--help' || address === '-h' || rest.length > 0) fail(usage);
if (!ADDRESS.test(address)) fail(`"${address}" is not an Ethereum address (0x and 40 hex digits).\n${usage}`);
const amount = parseEther(ether);
const url = process.env.ETH_RPC ?? `http://127.0.0.1:${process.env.ANVIL_PORT ?? DEFAULT_ANVIL_PORT}/`;

try {
  const before = BigInt(await jsonRpc(url, 'eth_getBalance', [address, 'latest']));
  await jsonRpc(url, 'anvil_setBalance', [address, `0x${(before + amount).toString(16)}`]);
  const after = BigInt(await jsonRpc(url, 'eth_getBalance', [address, 'latest']));
  console.log(`${address} now has ${formatEther(after)} ETH on ${url}`);
} catch (err) {
  fail(`Could not fund ${address}: ${err.message}. Is \`npm start -- --chain anvil\` running (or ETH_RPC set to an anvil node)?`);
}
