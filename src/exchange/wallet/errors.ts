/** The wallet's typed errors: each message says what happened and what to do. Pure. */
import { formatEther } from 'viem';

/** No JSON-RPC endpoint is configured: the wallet can show its address but cannot reach the chain. */
export class NoEndpointError extends Error {
  override name = 'NoEndpointError';
  constructor() {
    super('No Ethereum endpoint is set: add ?eth=http://… to the link or set one in Settings.');
  }
}

/** The endpoint setting is not a usable URL. */
export class InvalidEndpointError extends Error {
  override name = 'InvalidEndpointError';
  constructor(readonly text: string, reason: string) {
    super(`The Ethereum endpoint "${text.slice(0, 80)}" ${reason}. Use an address such as http://127.0.0.1:8545 or https://rpc.example.org.`);
  }
}

/** The endpoint did not answer (network error, timeout, non-JSON-RPC reply). */
export class EndpointUnreachableError extends Error {
  override name = 'EndpointUnreachableError';
  constructor(readonly endpoint: string, cause: unknown) {
    super(`The Ethereum endpoint ${endpoint} did not answer. Check that it is running and reachable from this browser, or set another one in Settings.`, { cause });
  }
}

/** A payment needs more Ether (amount plus network fee) than the wallet holds. */
export class InsufficientFundsError extends Error {
  override name = 'InsufficientFundsError';
  constructor(readonly needed: bigint, readonly available: bigint, readonly address: string) {
    super(
      `Not enough Ether: this payment needs ${formatEther(needed)} ETH with the network fee, but the wallet has ${formatEther(available)} ETH. ` +
        `Add at least ${formatEther(needed - available)} ETH to ${address} and try again.`,
    );
  }
}

/** A wallet export that cannot be restored. */
export class WalletFileError extends Error {
  override name = 'WalletFileError';
}

/** A payment to something that is not an Ethereum address. */
export class InvalidRecipientError extends Error {
  override name = 'InvalidRecipientError';
  constructor(readonly text: string) {
    super(`"${text.slice(0, 80)}" is not an Ethereum address. Copy the whole address (0x followed by 40 hexadecimal digits) and try again.`);
  }
}

/** A transaction did not reach the wanted confirmations in time. */
export class ConfirmationTimeoutError extends Error {
  override name = 'ConfirmationTimeoutError';
  constructor(readonly hash: string, readonly wanted: number, readonly timeoutMs: number) {
    super(`Transaction ${hash} did not reach ${wanted} confirmation${wanted === 1 ? '' : 's'} within ${Math.round(timeoutMs / 1000)} s. It may still confirm: check it again later.`);
  }
}
