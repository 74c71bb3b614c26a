import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gatedAnnouncer } from './announcer.ts';

describe('gatedAnnouncer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('drops announcements before there is a dialable address, so the first one with it goes out at once', () => {
    const announce = vi.fn();
    let dialable = false;
    const a = gatedAnnouncer(announce, () => dialable, 1000, () => Date.now());
    a.call(); // a peer showed up before our relay reservation
    expect(announce).not.toHaveBeenCalled();
    vi.advanceTimersByTime(300);
    dialable = true;
    a.call(); // the reservation: our circuit address appears
    expect(announce).toHaveBeenCalledTimes(1);
  });

  it('still announces at most once per interval, keeping the last request', () => {
    const announce = vi.fn();
    const a = gatedAnnouncer(announce, () => true, 1000, () => Date.now());
    a.call();
    a.call();
    expect(announce).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(announce).toHaveBeenCalledTimes(2);
    a.call();
    a.cancel();
    vi.advanceTimersByTime(5000);
    expect(announce).toHaveBeenCalledTimes(2);
  });
});
