/**
 * Choosing the tfjs backend: tfjs-node-gpu, then tfjs-node, then wasm, then cpu, unless the
 * user forces one. The choice (name, device, threads) is reported to the caller, who shows it
 * to the user and stores it with runs. Knows nothing of SQLite or Electron.
 */
import { createRequire } from 'node:module'
import { execFile } from 'node:child_process'
import type { BackendInfo } from '../../src-shared/ipc/contract'

export const BACKEND_PREFERENCES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number]

export function isBackendPreference(v: unknown): v is BackendPreference {
  return typeof v === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(v)
}

const requireOptional = createRequire(import.meta.url)

type Tf = typeof import('@tensorflow/tfjs')

function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  if (/Cannot find (module|package)/.test(msg)) return 'not installed'
  return msg.split('\n')[0]!.slice(0, 200)
}

/** Name of the first NVIDIA GPU, or undefined when nvidia-smi is absent or silent. */
export function queryGpuName(timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: timeoutMs }, (err, stdout) => {
      const name = err ? undefined : stdout.split('\n')[0]?.trim()
      resolve(name || undefined)
    })
  })
}

async function tryNative(tf: Tf, pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node', notes: string[]): Promise<BackendInfo | undefined> {
  try {
    requireOptional(pkg)
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialise')
    await tf.ready()
    if (pkg === '@tensorflow/tfjs-node-gpu') {
      const card = await queryGpuName()
      const device = card ? `GPU: ${card}` : 'GPU'
      return { name: 'tensorflow', device, label: `tensorflow ${device}`, notes }
    }
    return { name: 'tensorflow', device: 'CPU', label: 'tensorflow (CPU)', notes }
  } catch (err) {
    notes.push(`${pkg.replace('@tensorflow/', '')}: ${errorText(err)}`)
    return undefined
  }
}

async function tryWasm(tf: Tf, notes: string[]): Promise<BackendInfo | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm')
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise')
    await tf.ready()
    // The gradient of tf.gather (embedding lookups) has no wasm kernel; supply a JS one.
    ;(await import('./ops/wasm-kernels')).registerWasmKernels()
    const threads = typeof wasm.getThreadsCount === 'function' ? wasm.getThreadsCount() : 1
    return { name: 'wasm', device: 'CPU', label: 'wasm (CPU)', threads: Math.max(1, threads), notes }
  } catch (err) {
    notes.push(`tfjs-backend-wasm: ${errorText(err)}`)
    return undefined
  }
}

async function useCpu(tf: Tf, notes: string[]): Promise<BackendInfo> {
  await tf.setBackend('cpu')
  await tf.ready()
  return { name: 'cpu', device: 'CPU', label: 'cpu (plain JavaScript, slow)', threads: 1, notes }
}

/**
 * Initialise tfjs on the best available backend. With a forced preference that cannot load,
 * falls back down the list and says why in `notes`, so the app still starts.
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  const tf = await import('@tensorflow/tfjs')
  const notes: string[] = []
  const order: BackendPreference[] =
    preference === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [preference, ...(['wasm', 'cpu'] as const).filter((p) => p !== preference)]
  for (const p of order) {
    const info =
      p === 'tensorflow-gpu'
        ? await tryNative(tf, '@tensorflow/tfjs-node-gpu', notes)
        : p === 'tensorflow'
          ? await tryNative(tf, '@tensorflow/tfjs-node', notes)
          : p === 'wasm'
            ? await tryWasm(tf, notes)
            : await useCpu(tf, notes)
    if (info) return info
  }
  return useCpu(tf, notes)
}

/**
 * initBackend for the processes that compute (trainer, model server): on wasm with two or more
 * cores, large matMuls also use a helper thread (ops/matmul-threads.ts; the same bits as one
 * thread). `matmulThreads: false` keeps one thread.
 */
export async function initComputeBackend(preference: BackendPreference = 'auto', options: { matmulThreads?: boolean } = {}): Promise<BackendInfo> {
  const info = await initBackend(preference)
  if (info.name !== 'wasm' || options.matmulThreads === false) return info
  const { availableParallelism } = await import('node:os')
  const { enableMatMulThreads } = await import('./ops/matmul-threads')
  if (!(await enableMatMulThreads({ cpus: availableParallelism() }))) return info
  return { ...info, threads: 2, notes: [...info.notes, 'large matMuls use a second thread'] }
}
