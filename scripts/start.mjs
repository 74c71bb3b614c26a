#!/usr/bin/env node
/**
 * `npm start`: builds the PWA, starts the signaling relay and serves the app,
 * printing the URL to open. Ctrl-C (or SIGTERM) stops both.
 *
 * Ports: APP_PORT (default 8080) for the app; the relay uses its own defaults
 * (9090 libp2p WebSocket, 9091 HTTP health + tracker) or TRUSTMESH_RELAY_* variables.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { build, preview } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const appPort = Number(process.env.APP_PORT ?? 8080);
const host = process.env.APP_HOST ?? '127.0.0.1';

console.log('Building the app…');
try {
  await build({ root, logLevel: 'warn' });
} catch (err) {
  console.error(`The build failed: ${err.message}`);
  process.exit(1);
}

const relay = spawn(process.execPath, ['--import', './relay/polyfill.mjs', '--import', 'tsx', 'relay/main.ts'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
const relayExited = new Promise((resolve) => relay.once('exit', (code) => resolve(code ?? 1)));

let server;
try {
  server = await preview({ root, logLevel: 'warn', preview: { port: appPort, host, strictPort: true, open: false } });
} catch (err) {
  console.error(`Cannot serve the app on ${host}:${appPort}: ${err.message}. Set APP_PORT to use another port.`);
  relay.kill('SIGTERM');
  process.exit(1);
}

const shownHost = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host;
console.log(`\n  Trustmesh is running: open http://${shownHost}:${appPort}/ (each browser profile is one peer)\n  Press Ctrl-C to stop.\n`);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (relay.exitCode === null) relay.kill('SIGTERM');
  await Promise.all([relayExited, server.close()]);
  console.log('Stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const code = await relayExited;
if (!stopping) {
  console.error(`The relay stopped unexpectedly (exit code ${code}); stopping.`);
  await stop(code === 0 ? 1 : code);
}
