/**
 * Handles for Playwright tests and benchmarks, installed only in builds made
 * with `vite build --mode test` (see main.ts); production builds drop this module.
 */
import type { AppSession } from './app-session.ts';

export interface TestHooks {
  session: AppSession;
  phase(): string;
  speedTest(peerId: string, uploadBytes: number, downloadBytes: number): Promise<{ uploadMs: number; downloadMs: number }>;
}

export function installTestHooks(session: AppSession): void {
  const hooks: TestHooks = {
    session,
    phase: () => session.current.phase,
    async speedTest(peerId, uploadBytes, downloadBytes) {
      const s = session.current;
      if (s.phase !== 'running') throw new Error(`peer not running (${s.phase})`);
      return s.service.speedTest(peerId, uploadBytes, downloadBytes);
    },
  };
  (globalThis as unknown as { __trustmesh: TestHooks }).__trustmesh = hooks;
}
