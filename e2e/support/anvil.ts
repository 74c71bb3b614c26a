/**
 * A real Ethereum node for wallet tests: anvil, from node_modules
 * (`@foundry-rs/anvil`'s platform package ships the binary, so `npm ci` is
 * enough), on a free loopback port. Used by Playwright tests and by the
 * wallet's Vitest test in Node alike.
 *
 * anvil mines a block per transaction (automine) and answers browsers with
 * `access-control-allow-origin: *`; its dev accounts are unlocked, so the
 * harness funds any address with eth_sendTransaction from the first one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { anvilBinary } from '../../scripts/anvil.mjs';
import { freePort } from './ports.ts';
import { waitFor } from './processes.ts';

/** anvil answers its first request ~0.1 s after spawn; 20 s covers a loaded CI machine. */
const ANVIL_START_TIMEOUT_MS = 20_000;
/** A funding transaction is mined at once (automine); 10 s means something is wrong. */
const FUND_TIMEOUT_MS = 10_000;

export interface Anvil {
  /** JSON-RPC endpoint, e.g. http://127.0.0.1:38545/ */
  readonly url: string;
  /** Raw JSON-RPC call; throws with the node's error message. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Sends `wei` to `address` from the node's first unlocked dev account; resolves once mined. Returns the hash. */
  fund(address: string, wei: bigint): Promise<string>;
  /** Mines `blocks` empty blocks (more confirmations for what is already mined). */
  mine(blocks?: number): Promise<void>;
  stop(): Promise<void>;
}

// Shared with `npm start -- --chain anvil`, which runs in plain node.
export { anvilBinary };

export async function startAnvil(): Promise<Anvil> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  let log = '';
  const child: ChildProcess = spawn(anvilBinary(), ['--host', '127.0.0.1', '--port', String(port), '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`anvil could not start: ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`anvil exited with ${code}:\n${log}`)));
  });
  exited.catch(() => undefined); // observed by the race below; later exits are expected (stop)

  let nextId = 1;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error !== undefined) throw new Error(`anvil ${method}: ${body.error.message}`);
    return body.result as T;
  };

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await gone;
  };

  try {
    await Promise.race([waitFor('anvil JSON-RPC', () => rpc<string>('eth_chainId'), ANVIL_START_TIMEOUT_MS), exited]);
  } catch (err) {
    await stop();
    throw err;
  }

  const fund = async (address: string, wei: bigint): Promise<string> => {
    const [from] = await rpc<string[]>('eth_accounts');
    const hash = await rpc<string>('eth_sendTransaction', [{ from, to: address, value: `0x${wei.toString(16)}` }]);
    await waitFor(`funding ${address}`, () => rpc<{ status: string } | null>('eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined), FUND_TIMEOUT_MS);
    return hash;
  };

  const mine = async (blocks = 1): Promise<void> => {
    await rpc('anvil_mine', [`0x${blocks.toString(16)}`]);
  };

  return { url, rpc, fund, mine, stop };
}
