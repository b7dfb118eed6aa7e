/** Seeded, optionally stratified train/dev/test assignment. Pure and deterministic. */

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type TrainDevTest = 'train' | 'dev' | 'test'

export interface SplitItem {
  id: number
  /** Items with the same stratum are split in the same proportions (e.g. the rarest label present). */
  stratum: string
}

/**
 * Shuffle each stratum with the seed, then give its items splits by their position in it, so
 * every stratum follows the ratios as closely as rounding allows. Ratios need not sum to 1.
 */
export function assignSplits(items: readonly SplitItem[], ratios: readonly [number, number, number], seed: number): Map<number, TrainDevTest> {
  const total = ratios[0] + ratios[1] + ratios[2]
  if (!(total > 0) || ratios.some((r) => r < 0 || !Number.isFinite(r))) throw new RangeError('split ratios must be non-negative and not all zero')
  const cut1 = ratios[0] / total
  const cut2 = (ratios[0] + ratios[1]) / total
  const random = seededRandom(seed)
  const strata = new Map<string, number[]>()
  for (const it of items) {
    const list = strata.get(it.stratum) ?? []
    list.push(it.id)
    strata.set(it.stratum, list)
  }
  const out = new Map<number, TrainDevTest>()
  for (const key of [...strata.keys()].sort()) {
    const ids = strata.get(key)!.sort((a, b) => a - b)
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[ids[i], ids[j]] = [ids[j]!, ids[i]!]
    }
    ids.forEach((id, k) => {
      const f = (k + 0.5) / ids.length
      out.set(id, f < cut1 ? 'train' : f < cut2 ? 'dev' : 'test')
    })
  }
  return out
}

/** The stratum of a document: its rarest label (by overall frequency), or "" when it has none. */
export function rarestLabel(labelIds: readonly number[], frequency: ReadonlyMap<number, number>): string {
  let best: number | undefined
  for (const id of labelIds) {
    if (best === undefined || (frequency.get(id) ?? 0) < (frequency.get(best) ?? 0) || ((frequency.get(id) ?? 0) === (frequency.get(best) ?? 0) && id < best)) best = id
  }
  return best === undefined ? '' : String(best)
}
