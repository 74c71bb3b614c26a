#!/usr/bin/env node
/**
 * `npm start`: builds the PWA, starts the signaling relay and serves the app,
 * printing the URL to open. Ctrl-C (or SIGTERM) stops everything it started.
 *
 * `npm start -- --chain anvil` also starts a local Ethereum node (anvil, from
 * the dev dependency @foundry-rs/anvil) and builds the app with
 * VITE_TRUSTMESH_ETH_RPC pointing at it, for trying the market; `npm run fund`
 * then gives a wallet Ether there.
 *
 * Ports: APP_PORT (default 8080) for the app; the relay uses its own defaults
 * (9090 libp2p WebSocket, 9091 HTTP health + tracker) or TRUSTMESH_RELAY_* variables;
 * anvil ANVIL_PORT (default 8545).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { build, preview } from 'vite';
import { anvilBinary, DEFAULT_ANVIL_PORT, jsonRpc } from './anvil.mjs';
import { buildRelay, relayNodeArgs } from '../relay/launch.mjs';

/** anvil answers its first request ~0.1 s after spawn; 20 s covers a loaded machine. */
const ANVIL_START_TIMEOUT_MS = 20_000;
const ANVIL_POLL_MS = 100;
const CHAINS = ['anvil'];
const USAGE = 'usage: npm start [-- --chain anvil]';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const appPort = Number(process.env.APP_PORT ?? 8080);
const host = process.env.APP_HOST ?? '127.0.0.1';
const shownHost = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host;

function parseArgs(argv) {
  let chain;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--chain' || arg.startsWith('--chain=')) {
      chain = arg === '--chain' ? argv[++i] : arg.slice('--chain='.length);
      if (!CHAINS.includes(chain)) throw new Error(`--chain takes one of: ${CHAINS.join(', ')} (got ${chain ?? 'nothing'}).\n${USAGE}`);
    } else throw new Error(`unknown option ${arg}.\n${USAGE}`);
  }
  return { chain };
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

/** Children to stop with the rest: the relay and, with --chain anvil, anvil. */
const children = [];

function track(name, child) {
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  const entry = { name, child, exited };
  children.push(entry);
  return entry;
}

async function stopChildren() {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
}

async function failStart(message) {
  console.error(message);
  await stopChildren();
  process.exit(1);
}

function portIsFree(port, onHost) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, onHost, () => probe.close(() => resolve(true)));
  });
}

/** Starts anvil on ANVIL_PORT (default 8545) and resolves with its endpoint once it answers. */
async function startAnvil() {
  const port = Number(process.env.ANVIL_PORT ?? DEFAULT_ANVIL_PORT);
  const anvilHost = '127.0.0.1';
  if (!(await portIsFree(port, anvilHost))) await failStart(`Port ${port} is in use (another anvil?): stop it, or set ANVIL_PORT to a free port.`);
  let log = '';
  let binary;
  try {
    binary = anvilBinary();
  } catch (err) {
    await failStart(`Cannot start anvil: ${err.message}`);
  }
  // --silent: anvil's banner lists its dev accounts' private keys; we print what to do instead.
  const anvil = track('anvil', spawn(binary, ['--host', anvilHost, '--port', String(port), '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  anvil.child.stdout.on('data', (d) => (log += d));
  anvil.child.stderr.on('data', (d) => (log += d));
  anvil.child.once('error', (err) => (log += `\n${err.message}`));
  const url = `http://${anvilHost}:${port}/`;
  const deadline = Date.now() + ANVIL_START_TIMEOUT_MS;
  for (;;) {
    if (anvil.child.exitCode !== null || anvil.child.signalCode !== null) await failStart(`anvil stopped at start:\n${log}`);
    try {
      await jsonRpc(url, 'eth_chainId');
      return url;
    } catch {
      if (Date.now() > deadline) await failStart(`anvil did not answer at ${url} within ${ANVIL_START_TIMEOUT_MS / 1000} s:\n${log}`);
      await new Promise((r) => setTimeout(r, ANVIL_POLL_MS));
    }
  }
}

let ethRpc;
if (args.chain === 'anvil') {
  console.log('Starting anvil (local Ethereum node)…');
  ethRpc = await startAnvil();
  if (process.env.VITE_TRUSTMESH_ETH_RPC !== undefined && process.env.VITE_TRUSTMESH_ETH_RPC !== ethRpc) {
    console.log(`  (VITE_TRUSTMESH_ETH_RPC=${process.env.VITE_TRUSTMESH_ETH_RPC} is replaced by anvil's endpoint for this build)`);
  }
  // Vite reads VITE_* variables from the environment at build time: the app's default endpoint becomes anvil.
  process.env.VITE_TRUSTMESH_ETH_RPC = ethRpc;
}

console.log('Building the app…');
try {
  await build({ root, logLevel: 'warn' });
} catch (err) {
  await failStart(`The build failed: ${err.message}`);
}

try {
  await buildRelay();
} catch (err) {
  await failStart(`The relay build failed: ${err.message}`);
}
track(
  'relay',
  spawn(process.execPath, relayNodeArgs(), {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  }),
);

let server;
try {
  server = await preview({ root, logLevel: 'warn', preview: { port: appPort, host, strictPort: true, open: false } });
} catch (err) {
  await failStart(`Cannot serve the app on ${host}:${appPort}: ${err.message}. Set APP_PORT to use another port.`);
}

console.log(`\n  Trustmesh is running: open http://${shownHost}:${appPort}/ (each browser profile is one peer)`);
if (ethRpc !== undefined) {
  console.log(`  Local Ethereum node (anvil, chain id 31337): ${ethRpc} (the app's default endpoint in this build)`);
  console.log(`  Each profile has its own wallet, empty at first. Give it Ether with:`);
  console.log(`    npm run fund -- <its 0x address> [ether, default 10]${process.env.ANVIL_PORT ? `   (with ANVIL_PORT=${process.env.ANVIL_PORT})` : ''}`);
  console.log(`  anvil keeps no state: after a restart every wallet's balance is 0 again (its keys stay in the browser).`);
}
console.log('  Press Ctrl-C to stop.\n');

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all([stopChildren(), server.close()]);
  console.log('Stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const { name, exited } = await Promise.race(children.map((c) => c.exited.then((code) => ({ name: c.name, exited: code }))));
if (!stopping) {
  console.error(`The ${name} stopped unexpectedly (exit code ${exited}); stopping.`);
  await stop(exited === 0 ? 1 : exited);
}
