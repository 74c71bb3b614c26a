/** Command-line entry of the Trustmesh signaling relay. */
import { parseRelayConfig, RelayConfigError, usage } from './config.ts';
import { loadOrCreateRelayKey } from './key.ts';
import { startRelay } from './relay.ts';

const log = (message: string): void => {
  process.stdout.write(`${new Date().toISOString()} relay: ${message}\n`);
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const config = parseRelayConfig(argv, process.env);
  const { key, created } = await loadOrCreateRelayKey(config.dataDir);
  if (created) log(`created a new relay identity in ${config.dataDir}/`);
  const relay = await startRelay(config, key, log);
  log(`peer id ${relay.node.peerId.toString()}`);
  for (const ma of relay.node.getMultiaddrs()) log(`libp2p listening on ${ma.toString()}`);
  log(`health at ${relay.httpUrl}/health, WebTorrent tracker at ${relay.httpUrl.replace(/^http/, 'ws')}`);
  log(`signaling limits: ${config.relayDataLimitBytes} bytes and ${config.relayDurationLimitMs} ms per relayed connection, ${config.maxReservations} reservations`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    relay.stop().then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (err: Error) => {
        log(`error while stopping: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof RelayConfigError) {
    process.stderr.write(`relay: ${err.message}\n`);
    process.exit(2);
  }
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    process.stderr.write(`relay: a port is already in use (${e.message}). Stop the other process or choose --port / --http-port.\n`);
    process.exit(1);
  }
  process.stderr.write(`relay: failed to start: ${e.stack ?? String(err)}\n`);
  process.exit(1);
});
