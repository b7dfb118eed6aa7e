import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

const dir = import.meta.dirname
const version = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')).version as string

export default defineConfig({
  define: { __TAGTUNE_VERSION__: JSON.stringify(version) },
  resolve: { alias: { '@shared': resolve(dir, 'src-shared') } },
  test: {
    environment: 'node',
    pool: 'forks',
    // Generous: training tests run real models in real processes, and CI machines are small. Speed is measured by the benchmarks, not here.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/**/*.test.ts'], exclude: ['tests/e2e/**'] } },
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], fileParallelism: false, testTimeout: 180_000 } },
    ],
  },
})
