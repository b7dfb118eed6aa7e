/**
 * Loss weights per tag for rare entity types. 'balanced' is scikit-learn's inverse frequency,
 * n / (k · count), over the labelled training tokens, capped at 10 so a type seen twice does
 * not dominate; tags never seen get the cap. A record gives a weight per entity type (all its
 * tags), 'O' stays 1 unless named.
 */
import type { EncodedWindow, TagSet } from '../data'

export const MAX_CLASS_WEIGHT = 10

export function classWeights(spec: 'balanced' | Record<string, number>, tagSet: TagSet, windows: readonly EncodedWindow[]): Float32Array {
  const k = tagSet.tags.length
  const weights = new Float32Array(k).fill(1)
  if (spec === 'balanced') {
    const counts = new Float64Array(k)
    let n = 0
    for (const w of windows) {
      for (let i = 0; i < w.length; i++) {
        const l = w.labels[i]!
        if (l >= 0) {
          counts[l]!++
          n++
        }
      }
    }
    for (let t = 0; t < k; t++) weights[t] = counts[t]! > 0 ? Math.min(MAX_CLASS_WEIGHT, n / (k * counts[t]!)) : MAX_CLASS_WEIGHT
    return weights
  }
  for (const [type, w] of Object.entries(spec)) {
    let found = false
    tagSet.tags.forEach((tag, id) => {
      if (tag === type || tagSet.tagTypes[id] === type) {
        weights[id] = w
        found = true
      }
    })
    if (!found) throw new Error(`classWeights names "${type}", which is not an entity type of this project (${tagSet.types.join(', ')})`)
  }
  return weights
}
