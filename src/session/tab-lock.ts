/**
 * One tab per profile runs the peer: two tabs with one identity would both
 * extend the same chain. Web Locks give an exclusive, crash-safe lock per
 * origin (released when a tab closes or dies). Browser glue.
 */

export const PEER_LOCK_NAME = 'trustmesh-peer';

export interface HeldLock {
  /** Resolves when another tab takes the lock over (steal). */
  readonly lost: Promise<void>;
  release(): void;
}

export class LocksUnavailableError extends Error {
  override name = 'LocksUnavailableError';
  constructor() {
    super('This browser does not support the Web Locks API, which Trustmesh needs to keep one tab per identity. Update the browser.');
  }
}

function request(options: LockOptions): Promise<HeldLock | null> {
  if (typeof navigator === 'undefined' || navigator.locks === undefined) return Promise.reject(new LocksUnavailableError());
  return new Promise((resolve, reject) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let granted = false;
    const lost = navigator.locks
      .request(PEER_LOCK_NAME, options, async (lock) => {
        if (lock === null) {
          resolve(null);
          return;
        }
        granted = true;
        resolve({ lost: lostPromise, release });
        await released;
      })
      .then(
        () => new Promise<void>(() => undefined), // released by us: never "lost"
        (err: unknown) => {
          if (!granted) reject(err as Error);
        },
      );
    const lostPromise: Promise<void> = lost.then(() => undefined);
  });
}

/** Takes the lock if no other tab holds it; null if one does. */
export async function tryAcquirePeerLock(): Promise<HeldLock | null> {
  return request({ mode: 'exclusive', ifAvailable: true });
}

/** Waits until the lock is free (the other tab closed), then takes it. */
export async function acquirePeerLockWhenFree(signal: AbortSignal): Promise<HeldLock> {
  const lock = await request({ mode: 'exclusive', signal });
  if (lock === null) throw new Error('lock request returned without a lock');
  return lock;
}

/** Takes the lock from whichever tab holds it; that tab's `lost` resolves. */
export async function stealPeerLock(): Promise<HeldLock> {
  const lock = await request({ mode: 'exclusive', steal: true });
  if (lock === null) throw new Error('lock steal returned without a lock');
  return lock;
}
