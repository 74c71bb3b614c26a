import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'relay/**/*.test.ts', 'scripts/**/*.test.ts', 'sim/**/*.test.ts', ...(process.env.SCRATCH ? ['scratch/*.test.ts'] : [])],
    environment: 'node',
    setupFiles: ['./relay/polyfill.mjs'],
    // Property tests run hundreds of cases; the relay test starts a real libp2p node.
    testTimeout: 30_000,
  },
});
