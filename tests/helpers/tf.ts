import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../../src-main/engine/backend'

/** The backend these machines train on (wasm), with the engine's kernel additions. */
export async function useWasm(): Promise<typeof tf> {
  const info = await initBackend('wasm')
  if (info.name !== 'wasm') throw new Error(`the wasm backend did not load: ${info.notes.join('; ')}`)
  return tf
}

/** Largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}
