import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

// Crash, chaos and multi-process tests: each file alone, so their processes do not starve each other.
export default defineConfig({
  resolve: { alias: { '@shared': resolve(import.meta.dirname, 'shared') } },
  test: {
    include: ['test/stress/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false
  }
})
