import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'relay/**/*.test.ts', 'scripts/**/*.test.ts', 'sim/**/*.test.ts', ...(process.env.SCRATCH ? ['scratch/*.test.ts'] : [])],
    environment: 'node',
    setupFiles: ['./relay/polyfill.mjs'],
    // Property tests run hundreds of cases; the relay test starts a real libp2p node.
    testTimeout: 30_000,
    // Vitest leaves a core to its main process, so on 2 cores it ran one file at a time: 290 s of CI. Two workers
    // there took 172-180 s (runs alternate CPU-bound files with ones that wait on real timers and I/O).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
