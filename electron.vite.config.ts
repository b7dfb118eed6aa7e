import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const dir = import.meta.dirname
const version = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')).version as string
const define = { __TAGTUNE_VERSION__: JSON.stringify(version) }
const alias = { '@shared': resolve(dir, 'src-shared') }
const nativeOptional = ['better-sqlite3', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']

export default defineConfig({
  main: {
    define,
    resolve: { alias },
    build: {
      rollupOptions: {
        // index: the Electron shell; cli: the plain-Node `tagtune` command and browser host;
        // trainer: the process each training run (or evaluation) runs in; model-server: the
        // process that serves a run's model over HTTP (serving.start).
        input: {
          index: resolve(dir, 'src-main/electron/main.ts'),
          cli: resolve(dir, 'src-main/cli/index.ts'),
          trainer: resolve(dir, 'src-main/trainer/index.ts'),
          'model-server': resolve(dir, 'src-main/serve/child.ts'),
        },
        external: nativeOptional,
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(dir, 'src-main/electron/preload.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(dir, 'src-renderer'),
    define,
    resolve: { alias },
    // Minified: the renderer is parsed on every start (electron-vite leaves it unminified by default).
    build: { minify: true, chunkSizeWarningLimit: 800 /* the charts library, loaded only by chart views */, rollupOptions: { input: { index: resolve(dir, 'src-renderer/index.html') } } },
    plugins: [vue()],
  },
})
