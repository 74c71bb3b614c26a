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

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const appPort = Number(process.env.APP_PORT ?? 8080);
const host = process.env.APP_HOST ?? '127.0.0.1';
const children = [];

function run(name, command, args, opts = {}) {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.push(child);
  const prefix = (data) => data.toString().split('\n').filter((l) => l.length > 0).map((l) => `[${name}] ${l}`).join('\n') + '\n';
  child.stdout.on('data', (d) => process.stdout.write(prefix(d)));
  child.stderr.on('data', (d) => process.stderr.write(prefix(d)));
  return child;
}

function waitExit(child) {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

function stopAll(signal) {
  for (const c of children) if (c.exitCode === null) c.kill(signal);
}

process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
console.log('Building the app…');
const buildCode = await waitExit(run('build', npx, ['vite', 'build', '--logLevel', 'warn']));
if (buildCode !== 0) {
  console.error('The build failed; see the messages above.');
  process.exit(buildCode);
}

const relay = run('relay', process.execPath, ['--import', './relay/polyfill.mjs', '--import', 'tsx', 'relay/main.ts']);
const app = run('app', npx, ['vite', 'preview', '--host', host, '--port', String(appPort), '--strictPort']);

const shownHost = host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host;
setTimeout(() => {
  if (relay.exitCode === null && app.exitCode === null) {
    console.log(`\n  Trustmesh is running: open http://${shownHost}:${appPort}/ (one tab per browser profile is one peer)\n  Press Ctrl-C to stop.\n`);
  }
}, 1500);

const first = await Promise.race([waitExit(relay).then((c) => ['relay', c]), waitExit(app).then((c) => ['app server', c])]);
if (first[1] !== 0) console.error(`The ${first[0]} stopped (exit code ${first[1]}); stopping everything.`);
stopAll('SIGTERM');
await Promise.all(children.map(waitExit));
process.exit(first[1]);
