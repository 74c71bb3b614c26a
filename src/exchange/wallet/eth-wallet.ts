/**
 * An Ether wallet over any JSON-RPC endpoint: balance, address, payments
 * signed in the page (eth_sendRawTransaction: the key never leaves it) and
 * confirmations. Browser and Node alike (viem over fetch); no DOM.
 *
 * Interface for the exchange (settlement pays and checks Ether installments):
 *   wallet.address                          the account's address
 *   await wallet.balance()                  { available, pending } in wei
 *   await wallet.send(to, wei)              the transaction hash, once the node accepted it
 *   await wallet.confirmations(hash)        0 while unknown or unmined, else blocks since it (its own included)
 *   await wallet.waitConfirmations(hash, n) resolves at n confirmations
 * Errors: NoEndpointError (nothing set), EndpointUnreachableError,
 * InsufficientFundsError (needed vs available, fee included),
 * InvalidRecipientError, ConfirmationTimeoutError, TransactionFailedError.
 *
 * Loaded only through a dynamic import (see lazy.ts): viem stays out of the
 * app's first load.
 */
import {
  BaseError,
  createPublicClient,
  createWalletClient,
  HttpRequestError,
  InsufficientFundsError as NodeInsufficientFundsError,
  isAddress,
  http,
  TimeoutError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
  keccak256,
  parseTransaction,
  type Hash,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { ETH_POLL_INTERVAL_MS, ETH_REQUEST_TIMEOUT_MS } from './constants.ts';
import { ConfirmationTimeoutError, EndpointUnreachableError, InsufficientFundsError, InvalidRecipientError, NoEndpointError } from './errors.ts';

export interface EthBalance {
  /** Spendable now, in wei: the confirmed balance less our own payments still pending. */
  available: bigint;
  /** Incoming wei not yet in a block (counted once confirmed). */
  pending: bigint;
}

export interface EthWalletOptions {
  /** JSON-RPC endpoint (http/https); undefined: chain operations throw NoEndpointError. */
  endpoint: string | undefined;
  /** How often to poll for new blocks while waiting (tests on a local node poll faster). */
  pollingIntervalMs?: number;
}

/** A transaction that was mined but reverted (e.g. a payment to a contract that refuses it). */
export class TransactionFailedError extends Error {
  override name = 'TransactionFailedError';
  constructor(readonly hash: string) {
    super(`Transaction ${hash} was mined but failed (reverted): no Ether moved. Check the recipient address.`);
  }
}

interface Clients {
  endpoint: string;
  read: PublicClient;
  write: WalletClient;
}

export class EthWallet {
  readonly address: `0x${string}`;
  private readonly clients: Clients | undefined;

  constructor(private readonly account: LocalAccount, options: EthWalletOptions) {
    this.address = account.address;
    const { endpoint } = options;
    if (endpoint === undefined) return;
    // One retry: a dead endpoint should be reported in seconds, not after viem's default backoff.
    const transport = http(endpoint, { timeout: ETH_REQUEST_TIMEOUT_MS, retryCount: 1 });
    const pollingInterval = options.pollingIntervalMs ?? ETH_POLL_INTERVAL_MS;
    this.clients = {
      endpoint,
      read: createPublicClient({ transport, pollingInterval }),
      write: createWalletClient({ account, transport, pollingInterval }),
    };
  }

  async balance(): Promise<EthBalance> {
    return this.rpc(async ({ read }) => {
      const [confirmed, withPending] = await Promise.all([
        read.getBalance({ address: this.address, blockTag: 'latest' }),
        read.getBalance({ address: this.address, blockTag: 'pending' }),
      ]);
      return { available: withPending < confirmed ? withPending : confirmed, pending: withPending > confirmed ? withPending - confirmed : 0n };
    });
  }

  /**
   * Pays `wei` to `to`: checks the funds (amount plus the fee at the current
   * price), signs here and broadcasts. Returns the hash once the node accepted it.
   */
  async send(to: string, wei: bigint): Promise<Hash> {
    return this.broadcast((await this.sign(to, wei)).raw);
  }

  /**
   * Signs a payment of `wei` to `to` without sending it (the caller stores it
   * first, so a crash never pays twice: the same signed bytes are sent again,
   * and the chain takes one transaction per nonce). Checks the funds.
   */
  async sign(to: string, wei: bigint): Promise<{ hash: Hash; raw: Hex }> {
    if (!isAddress(to, { strict: false })) throw new InvalidRecipientError(to);
    if (wei <= 0n) throw new RangeError('a payment must send more than 0 wei');
    return this.rpc(async ({ write }) => {
      const request = await write.prepareTransactionRequest({ account: this.account, chain: null, to, value: wei });
      const needed = wei + request.gas * (request.maxFeePerGas ?? request.gasPrice ?? 0n);
      const { available } = await this.balance();
      if (needed > available) throw new InsufficientFundsError(needed, available, this.address);
      const raw = await this.account.signTransaction!(request as Parameters<NonNullable<LocalAccount['signTransaction']>>[0]);
      return { hash: keccak256(raw), raw };
    });
  }

  /** Sends signed bytes (again, after a reload: the node answers the same hash, or already knows it). */
  async broadcast(raw: Hex): Promise<Hash> {
    const hash = keccak256(raw);
    return this.rpc(async ({ read }) => {
      try {
        return await read.sendRawTransaction({ serializedTransaction: raw });
      } catch (err) {
        // Sent before the page went away: the node has it already (pending or mined).
        if ((await this.payment(hash).catch(() => undefined)) !== undefined) return hash;
        // The node saw a spend we did not (another tab of this wallet): report it as ours.
        if (err instanceof BaseError && err.walk((e) => e instanceof NodeInsufficientFundsError) !== null) {
          const tx = parseTransaction(raw);
          const needed = (tx.value ?? 0n) + (tx.gas ?? 0n) * (tx.maxFeePerGas ?? tx.gasPrice ?? 0n);
          throw new InsufficientFundsError(needed, (await this.balance()).available, this.address);
        }
        throw err;
      }
    });
  }

  /** 0 while the transaction is unknown or not yet in a block; else the blocks from its own to the tip. */
  async confirmations(hash: Hash): Promise<number> {
    return this.rpc(async ({ read }) => {
      let mined: bigint;
      try {
        const receipt = await read.getTransactionReceipt({ hash });
        if (receipt.status === 'reverted') throw new TransactionFailedError(hash);
        mined = receipt.blockNumber;
      } catch (err) {
        if (err instanceof TransactionReceiptNotFoundError) return 0;
        throw err;
      }
      const tip = await read.getBlockNumber({ cacheTime: 0 });
      return tip < mined ? 0 : Number(tip - mined + 1n);
    });
  }

  /**
   * A payment as the chain shows it: recipient, value and confirmations (0
   * while pending); undefined while the node does not know the transaction.
   * A reverted transaction throws TransactionFailedError: it paid nothing.
   */
  async payment(hash: Hash): Promise<{ to: string | undefined; value: bigint; confirmations: number } | undefined> {
    return this.rpc(async ({ read }) => {
      let tx;
      try {
        tx = await read.getTransaction({ hash });
      } catch (err) {
        if (err instanceof TransactionNotFoundError) return undefined;
        throw err;
      }
      return { to: tx.to?.toLowerCase(), value: tx.value, confirmations: await this.confirmations(hash) };
    });
  }

  /** Resolves once `hash` has `n` confirmations (follows a replacement of it by us); throws if it reverted. */
  async waitConfirmations(hash: Hash, n: number, options: { timeoutMs?: number } = {}): Promise<{ blockNumber: bigint; confirmations: number }> {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('wait for at least 1 confirmation');
    return this.rpc(async ({ read }) => {
      try {
        const receipt = await read.waitForTransactionReceipt({ hash, confirmations: n, ...(options.timeoutMs === undefined ? { timeout: 0 } : { timeout: options.timeoutMs }) });
        if (receipt.status === 'reverted') throw new TransactionFailedError(receipt.transactionHash);
        return { blockNumber: receipt.blockNumber, confirmations: Math.max(n, await this.confirmations(receipt.transactionHash)) };
      } catch (err) {
        if (err instanceof WaitForTransactionReceiptTimeoutError) throw new ConfirmationTimeoutError(hash, n, options.timeoutMs ?? 0);
        throw err;
      }
    });
  }

  /** Runs `call` against the endpoint, turning transport failures into EndpointUnreachableError. */
  private async rpc<T>(call: (c: Clients) => Promise<T>): Promise<T> {
    const clients = this.clients;
    if (clients === undefined) throw new NoEndpointError();
    try {
      return await call(clients);
    } catch (err) {
      if (err instanceof BaseError && err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null) {
        throw new EndpointUnreachableError(clients.endpoint, err);
      }
      throw err;
    }
  }
}
