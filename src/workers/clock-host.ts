/** The clock worker's timers (pure: the worker passes its own setTimeout and a way to answer). */
import { isClockRequest, type ClockFired } from './clock-protocol.ts';

export interface HostTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export class ClockHost {
  private readonly live = new Map<number, unknown>();

  constructor(
    private readonly fired: (id: ClockFired) => void,
    private readonly timers: HostTimers,
  ) {}

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.live.size;
  }

  handle(message: unknown): void {
    if (!isClockRequest(message)) return;
    const { id } = message;
    const existing = this.live.get(id);
    if (existing !== undefined) this.timers.clear(existing);
    this.live.delete(id);
    if (message.op === 'clear') return;
    this.live.set(
      id,
      this.timers.set(() => {
        this.live.delete(id);
        this.fired(id);
      }, message.ms),
    );
  }
}
