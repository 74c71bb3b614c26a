import { describe, expect, it } from 'vitest';
import { isLoopback, limitedAddress, RELAY_LIMITS, Tally, WindowCounter } from './limits.ts';

describe('WindowCounter', () => {
  it('allows up to the limit per key and window, then refuses until the window ends', () => {
    let t = 0;
    const c = new WindowCounter<string>(3, 1_000, () => t);
    expect([c.take('a'), c.take('a'), c.take('a'), c.take('a')]).toEqual([true, true, true, false]);
    expect(c.take('b')).toBe(true);
    expect(c.exhausted('a')).toBe(true);
    expect(c.exhausted('b')).toBe(false);
    t = 999;
    expect(c.take('a')).toBe(false);
    t = 1_000;
    expect(c.exhausted('a')).toBe(false);
    expect(c.take('a')).toBe(true);
  });

  it('counts amounts (bytes), refusing the take that crosses the limit', () => {
    const c = new WindowCounter<string>(100, 1_000, () => 0);
    expect(c.take('p', 60)).toBe(true);
    expect(c.exhausted('p')).toBe(false);
    expect(c.take('p', 40)).toBe(true);
    expect(c.exhausted('p')).toBe(true);
    expect(c.take('p', 1)).toBe(false);
  });

  it('keeps memory bounded under a stream of fresh keys by sweeping ended windows', () => {
    let t = 0;
    const c = new WindowCounter<number>(1, 10, () => t);
    for (let i = 0; i < 100_000; i++) {
      t = i; // each key's window has ended 10 ticks later
      c.take(i);
    }
    expect(c.size).toBeLessThanOrEqual(4_096 + 10);
  });
});

describe('Tally', () => {
  it('counts up and down and forgets keys that reach zero', () => {
    const t = new Tally<string>();
    t.add('x');
    t.add('x');
    t.add('y', 3);
    expect([t.get('x'), t.get('y'), t.get('z')]).toEqual([2, 3, 0]);
    t.add('x', -2);
    expect(t.get('x')).toBe(0);
    expect(t.size).toBe(1);
  });
});

describe('limitedAddress', () => {
  const proxied = RELAY_LIMITS;
  const direct = { ...RELAY_LIMITS, loopbackIsProxy: false };

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '::ffff:10.0.0.1', '1127.0.0.1', '2001:db8::1'].some(isLoopback)).toBe(false);
  });

  it('counts a remote client by its address, whatever it claims in X-Forwarded-For', () => {
    expect(limitedAddress(proxied, '203.0.113.7', '198.51.100.1')).toBe('203.0.113.7');
  });

  it('behind a local proxy, counts the client the proxy names, and not the proxy', () => {
    expect(limitedAddress(proxied, '127.0.0.1', '203.0.113.7, 10.0.0.1')).toBe('203.0.113.7');
    expect(limitedAddress(proxied, '::1', undefined)).toBeUndefined();
    expect(limitedAddress(proxied, '127.0.0.1', ' ')).toBeUndefined();
    expect(limitedAddress(proxied, '127.0.0.1', '127.0.0.1')).toBeUndefined();
  });

  it('with loopbackIsProxy off, counts loopback like any address', () => {
    expect(limitedAddress(direct, '127.0.0.1', '203.0.113.7')).toBe('127.0.0.1');
  });
});
