// The wallet end to end in Node against a real anvil node (e2e/support/anvil.ts).
import { parseEther } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnvil, type Anvil } from '../../../e2e/support/anvil.ts';
import { freePort } from '../../../e2e/support/ports.ts';
import { EndpointUnreachableError, InsufficientFundsError, InvalidRecipientError, NoEndpointError } from './errors.ts';
import { EthWallet } from './eth-wallet.ts';
import { accountOf, newWalletKeys } from './mnemonic-keys.ts';

let anvil: Anvil;
// Polls fast: anvil mines at once.
const wallet = (endpoint: string | undefined = anvil.url) => new EthWallet(accountOf(newWalletKeys()), { endpoint, pollingIntervalMs: 50 });
const offline = () => new EthWallet(accountOf(newWalletKeys()), { endpoint: undefined });

beforeAll(async () => {
  anvil = await startAnvil();
});
afterAll(async () => {
  await anvil?.stop();
});

describe('EthWallet on anvil', () => {
  it('is funded, pays another wallet, and both see the payment confirmed', async () => {
    const alice = wallet();
    const bob = wallet();
    await anvil.fund(alice.address, parseEther('1'));
    expect(await alice.balance()).toEqual({ available: parseEther('1'), pending: 0n });

    const hash = await alice.send(bob.address, parseEther('0.5'));
    expect(await bob.waitConfirmations(hash, 1)).toMatchObject({ confirmations: 1 });
    expect(await bob.balance()).toEqual({ available: parseEther('0.5'), pending: 0n });
    const left = (await alice.balance()).available;
    expect(left).toBeLessThan(parseEther('0.5')); // the fee
    expect(left).toBeGreaterThan(parseEther('0.49'));

    await anvil.mine(2);
    expect(await bob.confirmations(hash)).toBe(3);
    // Waiting for more: resolves once the blocks come.
    const waiting = bob.waitConfirmations(hash, 5);
    await anvil.mine(2);
    expect(await waiting).toMatchObject({ confirmations: 5 });
  });

  it('sends signed bytes once however often they are sent again (a payment stored before it left, re-sent after a reload)', async () => {
    const alice = wallet();
    const bob = wallet();
    await anvil.fund(alice.address, parseEther('1'));
    const signed = await alice.sign(bob.address, parseEther('0.25'));
    expect(await alice.payment(signed.hash)).toBeUndefined();
    expect(await alice.broadcast(signed.raw)).toBe(signed.hash);
    // Again, once mined: the same transaction, not a second payment.
    expect(await alice.broadcast(signed.raw)).toBe(signed.hash);
    expect(await bob.balance()).toEqual({ available: parseEther('0.25'), pending: 0n });
  });

  it('shows an unmined payment as pending to the payee and as spent to the payer', async () => {
    const alice = wallet();
    const bob = wallet();
    await anvil.fund(alice.address, parseEther('1'));
    await anvil.rpc('evm_setAutomine', [false]);
    try {
      const hash = await alice.send(bob.address, parseEther('0.25'));
      expect(await bob.confirmations(hash)).toBe(0);
      expect(await bob.balance()).toEqual({ available: 0n, pending: parseEther('0.25') });
      expect((await alice.balance()).available).toBeLessThan(parseEther('0.75'));
      await anvil.mine(1);
      expect(await bob.confirmations(hash)).toBe(1);
      expect(await bob.balance()).toEqual({ available: parseEther('0.25'), pending: 0n });
    } finally {
      await anvil.rpc('evm_setAutomine', [true]);
    }
  });

  it('refuses a payment beyond its funds, saying how much is needed and available', async () => {
    const poor = wallet();
    await anvil.fund(poor.address, parseEther('0.1'));
    const err = await poor.send(wallet().address, parseEther('0.1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientFundsError);
    const { needed, available } = err as InsufficientFundsError;
    expect(available).toBe(parseEther('0.1'));
    expect(needed).toBeGreaterThan(parseEther('0.1')); // amount plus fee
    expect((err as Error).message).toMatch(/needs 0\.1000\d+ ETH with the network fee, but the wallet has 0\.1 ETH/);
    expect((err as Error).message).toContain(poor.address);
  });

  it('refuses bad recipients and amounts before any request', async () => {
    const w = wallet();
    await expect(w.send('0x1234', 1n)).rejects.toBeInstanceOf(InvalidRecipientError);
    await expect(w.send(wallet().address, 0n)).rejects.toThrow(RangeError);
  });

  it('counts 0 confirmations for a transaction the node does not know', async () => {
    expect(await wallet().confirmations(`0x${'ab'.repeat(32)}`)).toBe(0);
  });
});

describe('EthWallet without a usable endpoint', () => {
  it('has an address but refuses chain operations with NoEndpointError when none is set', async () => {
    const w = offline();
    expect(w.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    await expect(w.balance()).rejects.toBeInstanceOf(NoEndpointError);
    await expect(w.balance()).rejects.toThrow('No Ethereum endpoint is set: add ?eth=http://… to the link or set one in Settings.');
    await expect(w.send(offline().address, 1n)).rejects.toBeInstanceOf(NoEndpointError);
  });

  it('reports EndpointUnreachableError when nothing answers', async () => {
    const w = wallet(`http://127.0.0.1:${await freePort()}/`);
    const err = await w.balance().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointUnreachableError);
    expect((err as Error).message).toMatch(/did not answer/);
  });
});
