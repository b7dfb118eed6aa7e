/**
 * WordPiece: greedy longest-match-first splitting of one word into vocabulary pieces, the
 * continuation pieces carrying a prefix ('##'). A word longer than maxInputCharsPerWord code
 * points, or one that cannot be split completely, becomes the single unknown token. Same
 * algorithm as transformers' WordpieceTokenizer and the tokenizers library's WordPiece model.
 * Pure.
 */

export interface WordPieceModel {
  /** Token -> id. */
  vocab: ReadonlyMap<string, number>
  unkToken: string
  unkId: number
  /** Prefix of continuation pieces, '##' for BERT. */
  prefix: string
  /** Longer words (in code points) are the unknown token. 100 for BERT. */
  maxInputCharsPerWord: number
}

/** The pieces of one word. `ends[k]` is where piece k ends in the word (UTF-16 units); piece k starts at `ends[k - 1]` (or 0). */
export interface Pieces {
  tokens: string[]
  ids: number[]
  ends: number[]
}

/** Longest keys, in UTF-16 units: any key, and the part after the prefix of prefixed keys. Bounds the search. */
export interface PieceBounds {
  maxFirst: number
  maxContinuation: number
}

export function pieceBounds(model: WordPieceModel): PieceBounds {
  let maxFirst = 0
  let maxContinuation = 0
  for (const key of model.vocab.keys()) {
    if (key.length > maxFirst) maxFirst = key.length
    if (key.startsWith(model.prefix) && key.length - model.prefix.length > maxContinuation) maxContinuation = key.length - model.prefix.length
  }
  return { maxFirst, maxContinuation }
}

/** Code points in s, stopping early once past `limit`. */
function codePointsOver(s: string, limit: number): boolean {
  if (s.length <= limit) return false
  let n = 0
  for (let k = 0; k < s.length; k++) {
    const u = s.charCodeAt(k)
    if (u >= 0xdc00 && u <= 0xdfff && k > 0) {
      const h = s.charCodeAt(k - 1)
      if (h >= 0xd800 && h <= 0xdbff) continue // second half of a pair
    }
    if (++n > limit) return true
  }
  return false
}

/** True when position k of s falls inside a surrogate pair. */
function insidePair(s: string, k: number): boolean {
  if (k <= 0 || k >= s.length) return false
  const lo = s.charCodeAt(k)
  const hi = s.charCodeAt(k - 1)
  return lo >= 0xdc00 && lo <= 0xdfff && hi >= 0xd800 && hi <= 0xdbff
}

/** Splits `word` (non-empty) into pieces; `bounds` (from pieceBounds) only speeds the search up. */
export function wordPiece(word: string, model: WordPieceModel, bounds?: PieceBounds): Pieces {
  const unk = (): Pieces => ({ tokens: [model.unkToken], ids: [model.unkId], ends: [word.length] })
  if (codePointsOver(word, model.maxInputCharsPerWord)) return unk()
  const { vocab, prefix } = model
  const n = word.length
  const tokens: string[] = []
  const ids: number[] = []
  const ends: number[] = []
  let start = 0
  while (start < n) {
    const longest = bounds ? (start === 0 ? bounds.maxFirst : bounds.maxContinuation) : n
    let end = Math.min(n, start + longest)
    if (insidePair(word, end)) end--
    let found = -1
    let piece = ''
    while (end > start) {
      piece = start === 0 ? word.slice(0, end) : prefix + word.slice(start, end)
      const id = vocab.get(piece)
      if (id !== undefined) {
        found = id
        break
      }
      end--
      if (insidePair(word, end)) end--
    }
    if (found < 0) return unk()
    tokens.push(piece)
    ids.push(found)
    ends.push(end)
    start = end
  }
  return { tokens, ids, ends }
}
