/**
 * Splitting a long token sequence into overlapping windows that fit the model. Pure.
 */

/** How far (in tokens) a window edge may move back to avoid cutting a word's sub-tokens. */
export const MAX_WORD_BACKOFF = 16

/**
 * Token ranges [start, end) covering tokens 0..count-1 with windows of at most `size` tokens.
 * The first starts at 0 and the last ends at `count`; each next window starts `stride` tokens
 * before the previous one ends, so consecutive windows share at least `stride` tokens (like HF's
 * return_overflowing_tokens; the last window may be shorter). When an edge would cut a word
 * (a token with wordStarts 0), the edge moves back to the word's first token if that is at most
 * MAX_WORD_BACKOFF tokens away and leaves room for progress: an end moving back shortens the
 * window, a start moving back widens the overlap. A longer word is cut.
 * `count` 0 gives one empty window [0, 0).
 */
export function planWindows(count: number, size: number, stride: number, wordStarts?: Uint8Array): Array<[start: number, end: number]> {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`window size ${size} is not a positive integer`)
  if (!(Number.isInteger(stride) && stride >= 0 && stride < size)) throw new RangeError(`stride ${stride} must be an integer from 0 to ${size - 1} (the window size less one)`)
  if (count <= size) return [[0, count]]
  // Each edge may move back at most this much; two moves together still leave a step of >= 1.
  const backoff = Math.min(MAX_WORD_BACKOFF, Math.floor((size - stride - 1) / 2))
  const isStart = (k: number): boolean => k >= count || wordStarts === undefined || wordStarts[k] === 1
  /** `k`, or the nearest word start at most `backoff` tokens before it; `k` when there is none. */
  const snapBack = (k: number): number => {
    for (let j = k; j >= k - backoff && j > 0; j--) if (isStart(j)) return j
    return k
  }
  const out: Array<[number, number]> = []
  let start = 0
  for (;;) {
    if (start + size >= count) {
      out.push([start, count])
      return out
    }
    const end = snapBack(start + size)
    out.push([start, end])
    start = snapBack(end - stride)
  }
}
