/**
 * Masked-language-model data: unlabeled texts -> token sequences (with word starts), and BERT's
 * masking of a sequence. Pure: no tfjs, no storage.
 *
 * Masking follows BERT (and transformers' DataCollatorForLanguageModeling): each candidate is
 * selected with `probability` (15%); of the selected tokens 80% become [MASK], 10% a random
 * token and 10% stay as they are; the labels hold the original id at the selected positions and
 * -100 everywhere else. Special tokens ([CLS], [SEP], [PAD], ...) are never selected, and the
 * random replacement never draws one.
 *
 * Whole-word masking selects words instead of tokens: a word is a token that starts a word
 * (`wordStarts` 1) and the tokens after it that do not (`wordStarts` 0), so all of a word's pieces
 * are selected together or not at all. For WordPiece text a word is the first piece and its '##'
 * pieces. For Chinese, BERT's tokenizer makes every CJK character its own word, so whole-word
 * masking needs a word segmentation, and no Chinese segmenter (jieba, LTP) is available offline.
 * The rule used here, honestly a rough one (see segmentChineseRuns):
 *
 * - runs of consecutive CJK characters (no space or punctuation between them) are cut into words
 *   by forward maximum matching against a word list: the longest word of the list starting at
 *   the current character, else the single character;
 * - the word list is the user's dictionary, or words found in the corpus itself by
 *   `discoverChineseWords` (frequent 2 to 4 character n-grams whose parts mostly occur together:
 *   a co-occurrence statistic with no language knowledge), or both;
 * - without a word list, Chinese is masked character by character (plain BERT masking), which
 *   is what `wholeWord` gives for CJK text when no segmenter is passed.
 */
import { seededRandom } from '../../../src-shared/domain/splits'
import type { BertTokenizer } from '../tokenizer'
import { isChineseChar } from '../tokenizer/unicode'
import { findWordStarts } from './alignment'
import { planWindows } from './windows'

export const MLM_IGNORE_INDEX = -100

export interface MaskOptions {
  /** Random replacements are drawn from ids 0 .. vocabSize-1 that are not special. */
  vocabSize: number
  /** Id of [MASK]. */
  maskId: number
  /** Ids never selected and never drawn as a random replacement ([CLS], [SEP], [PAD], [MASK], [UNK]...). */
  specialIds: ReadonlySet<number>
  /** Chance that a token (or, with whole-word masking, a word) is selected. Default 0.15. */
  probability?: number
  /** Uniform numbers in [0, 1): seededRandom(seed) for repeatable masks. */
  random: () => number
  /** 1 where a token starts a word, 0 for its continuation pieces; needed for whole-word masking. */
  wordStarts?: Uint8Array
  /** Select whole words (all their pieces) instead of single tokens. */
  wholeWord: boolean
  /** Of the selected tokens, the share replaced by [MASK] (default 0.8) and by a random token (default 0.1); the rest stay. */
  maskRatio?: number
  randomRatio?: number
  /**
   * When no candidate was selected, select one at random (as Google's BERT always predicts at least
   * one token), so that no sequence is wasted. Default true. It raises the selection rate of very
   * short sequences a little (about 1/length for length << 1/probability).
   */
  atLeastOne?: boolean
}

export interface MaskedSequence {
  /** The ids with the selected positions replaced. */
  inputIds: Int32Array
  /** The original id at selected positions, -100 elsewhere. */
  labels: Int32Array
  /** Selected positions. */
  selected: number
}

/**
 * The maskable units of a sequence: [start, end) position ranges of single non-special tokens,
 * or, with whole-word masking, of words (a word start and the continuation tokens after it).
 * A continuation token with no word start before it (e.g. at a chunk edge) starts its own unit.
 */
export function maskableUnits(ids: ArrayLike<number>, specialIds: ReadonlySet<number>, wholeWord: boolean, wordStarts?: Uint8Array): Array<[number, number]> {
  if (wholeWord && wordStarts && wordStarts.length < ids.length) throw new RangeError(`wordStarts has ${wordStarts.length} entries for ${ids.length} tokens`)
  const units: Array<[number, number]> = []
  for (let i = 0; i < ids.length; ) {
    if (specialIds.has(ids[i]!)) {
      i++
      continue
    }
    let j = i + 1
    if (wholeWord && wordStarts) while (j < ids.length && wordStarts[j] === 0 && !specialIds.has(ids[j]!)) j++
    units.push([i, j])
    i = j
  }
  return units
}

/** BERT's masking of one sequence (see the module comment). */
export function maskTokens(ids: ArrayLike<number>, options: MaskOptions): MaskedSequence {
  const p = options.probability ?? 0.15
  const maskRatio = options.maskRatio ?? 0.8
  const randomRatio = options.randomRatio ?? 0.1
  if (!(p >= 0 && p <= 1)) throw new RangeError(`mask probability ${p} must be from 0 to 1`)
  if (!(maskRatio >= 0 && randomRatio >= 0 && maskRatio + randomRatio <= 1)) throw new RangeError(`mask ratio ${maskRatio} and random ratio ${randomRatio} must be non-negative and add up to at most 1`)
  const { random, specialIds, vocabSize } = options
  const n = ids.length
  const inputIds = Int32Array.from(ids as ArrayLike<number>)
  const labels = new Int32Array(n).fill(MLM_IGNORE_INDEX)
  const units = maskableUnits(ids, specialIds, options.wholeWord, options.wordStarts)
  const chosen: Array<[number, number]> = []
  for (const u of units) if (random() < p) chosen.push(u)
  if (chosen.length === 0 && units.length > 0 && p > 0 && (options.atLeastOne ?? true)) chosen.push(units[Math.floor(random() * units.length)]!)

  const randomToken = (): number | undefined => {
    for (let tries = 0; tries < 100; tries++) {
      const id = Math.floor(random() * vocabSize)
      if (!specialIds.has(id)) return id
    }
    return undefined
  }
  let selected = 0
  for (const [a, b] of chosen) {
    for (let k = a; k < b; k++) {
      labels[k] = inputIds[k]!
      selected++
      const r = random()
      if (r < maskRatio) inputIds[k] = options.maskId
      else if (r < maskRatio + randomRatio) inputIds[k] = randomToken() ?? inputIds[k]!
    }
  }
  return { inputIds, labels, selected }
}

// ---------------------------------------------------------------------------------------------
// Chinese words

/** Cuts a run of CJK characters (code points, as a string) into word lengths in characters. */
export type ChineseSegmenter = (run: string) => number[]

const codePoints = (s: string): string[] => Array.from(s)

/**
 * Forward maximum matching against `words`: at each character the longest listed word that
 * starts there (up to `maxWordLength` characters), else the single character.
 */
export function dictionarySegmenter(words: Iterable<string>, maxWordLength = 4): ChineseSegmenter {
  const dict = new Set<string>()
  let longest = 1
  for (const w of words) {
    const n = codePoints(w).length
    if (n < 2 || n > maxWordLength) continue
    dict.add(w)
    longest = Math.max(longest, n)
  }
  return (run) => {
    const chars = codePoints(run)
    const out: number[] = []
    for (let i = 0; i < chars.length; ) {
      let len = 1
      for (let l = Math.min(longest, chars.length - i); l >= 2; l--) {
        if (dict.has(chars.slice(i, i + l).join(''))) {
          len = l
          break
        }
      }
      out.push(len)
      i += len
    }
    return out
  }
}

/** The maximal runs of consecutive CJK characters in `text` (as strings). */
export function chineseRuns(text: string): string[] {
  const runs: string[] = []
  let cur = ''
  for (const ch of text) {
    if (isChineseChar(ch.codePointAt(0)!)) cur += ch
    else if (cur) {
      runs.push(cur)
      cur = ''
    }
  }
  if (cur) runs.push(cur)
  return runs
}

export interface WordDiscoveryOptions {
  /** Shortest and longest words, in characters. Default 2 and 4. */
  minLength?: number
  maxLength?: number
  /** Occurrences a word needs. Default 5. */
  minCount?: number
  /**
   * Dependency a word needs at every cut into a left and a right part: count(word) / min(count(left),
   * count(right)), the share of the rarer part's occurrences that are inside this word. Default 0.5.
   */
  minDependency?: number
  /**
   * Cohesion a word needs at every cut: count(word)·N / (count(left)·count(right)), N = CJK
   * characters in the corpus (a PMI of ln(minCohesion)). Default 5.
   */
  minCohesion?: number
  /** At most this many words, the most frequent first. Default 50 000. */
  maxWords?: number
}

/**
 * Words found in a corpus without a dictionary: CJK n-grams (within runs of CJK characters) that
 * are frequent and whose parts mostly occur together (see WordDiscoveryOptions). A crude,
 * language-blind statistic: it finds names, terms and frequent compounds of the corpus
 * ("有限公司", "本科"), also some frequent fragments that straddle a word boundary, and misses rare
 * words and words made of characters common elsewhere (the dependency test rejects them). On
 * the Resume NER training text (124k characters) it finds ~1 100 words in 0.3 s; forward maximum
 * matching with them gives "中国国籍 | 无境外/居留权", "本科学历 | 工程师", but also fragments
 * such as "董事会秘/书" (five-character words exceed maxLength) and "月至今任".
 */
export function discoverChineseWords(texts: Iterable<string>, options: WordDiscoveryOptions = {}): string[] {
  const minLength = Math.max(2, options.minLength ?? 2)
  const maxLength = options.maxLength ?? 4
  const minCount = options.minCount ?? 5
  const minDependency = options.minDependency ?? 0.5
  const minCohesion = options.minCohesion ?? 5
  const counts = new Map<string, number>()
  let total = 0
  for (const text of texts) {
    for (const run of chineseRuns(text)) {
      const chars = codePoints(run)
      total += chars.length
      for (let i = 0; i < chars.length; i++) {
        let gram = ''
        for (let l = 1; l <= maxLength && i + l <= chars.length; l++) {
          gram += chars[i + l - 1]!
          counts.set(gram, (counts.get(gram) ?? 0) + 1)
        }
      }
    }
  }
  const words: Array<[string, number]> = []
  for (const [gram, count] of counts) {
    if (count < minCount) continue
    const chars = codePoints(gram)
    if (chars.length < minLength) continue
    let ok = true
    for (let cut = 1; cut < chars.length && ok; cut++) {
      const left = counts.get(chars.slice(0, cut).join(''))!
      const right = counts.get(chars.slice(cut).join(''))!
      ok = count / Math.min(left, right) >= minDependency && (count * total) / (left * right) >= minCohesion
    }
    if (ok) words.push([gram, count])
  }
  words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  return words.slice(0, options.maxWords ?? 50_000).map(([w]) => w)
}

// ---------------------------------------------------------------------------------------------
// Examples

export interface MlmExample {
  /** Token ids without [CLS]/[SEP], at most maxLength - 2. */
  ids: Int32Array
  /** 1 where a token starts a (whole-word-masking) word. */
  wordStarts: Uint8Array
  /** Index of the text the tokens came from (the first one, when packed). */
  source: number
}

export interface MlmExampleOptions {
  /** Sequence length with [CLS] and [SEP]; examples hold at most maxLength - 2 tokens. */
  maxLength: number
  /**
   * Joins CJK characters into words for whole-word masking (see the module comment). Without it
   * each CJK character is its own word.
   */
  chineseSegmenter?: ChineseSegmenter
  /**
   * Pack consecutive texts into sequences of up to maxLength - 2 tokens (transformers'
   * group_texts), instead of one text (or chunk of a long text) per sequence: fewer, fuller
   * sequences, hence less padding, for corpora of short texts. A text that does not fit in what
   * is left of a sequence starts the next one (long texts are still chunked). Default false.
   */
  pack?: boolean
}

/**
 * Word starts of an encoding for whole-word masking: WordPiece words (a token and its '##'
 * pieces), with runs of adjacent CJK-character tokens joined into words by `segmenter`.
 */
export function mlmWordStarts(text: string, encoding: { tokens: string[]; offsets: Array<[number, number]> }, tokenizer: Pick<BertTokenizer, 'options'>, segmenter?: ChineseSegmenter): Uint8Array {
  const starts = findWordStarts(text, { ...encoding, ids: [] }, tokenizer.options.continuingSubwordPrefix)
  if (!segmenter) return starts
  const n = encoding.offsets.length
  const isCjk = (k: number): boolean => {
    const [a, b] = encoding.offsets[k]!
    const s = text.slice(a, b)
    const cp = s.codePointAt(0)
    return cp !== undefined && s.length === (cp > 0xffff ? 2 : 1) && isChineseChar(cp)
  }
  for (let k = 0; k < n; ) {
    if (!isCjk(k)) {
      k++
      continue
    }
    // A run: adjacent CJK tokens, nothing between them in the text.
    let e = k + 1
    while (e < n && isCjk(e) && encoding.offsets[e]![0] === encoding.offsets[e - 1]![1]) e++
    if (e - k >= 2) {
      const run = text.slice(encoding.offsets[k]![0], encoding.offsets[e - 1]![1])
      let at = k
      for (const len of segmenter(run)) {
        for (let j = 1; j < len && at + j < e; j++) starts[at + j] = 0
        at += len
        if (at >= e) break
      }
    }
    k = e
  }
  return starts
}

/**
 * Token sequences for MLM from raw texts: each text tokenized, long ones cut into consecutive
 * chunks of at most maxLength - 2 tokens (edges moved back to a word start when one is near, as
 * planWindows does), empty texts skipped. With `pack`, consecutive short texts share a sequence.
 */
export function buildMlmExamples(texts: readonly string[], tokenizer: BertTokenizer, options: MlmExampleOptions): MlmExample[] {
  const size = options.maxLength - 2
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`maxLength ${options.maxLength} leaves no room for tokens besides [CLS] and [SEP]`)
  const out: MlmExample[] = []
  let packIds: number[] = []
  let packStarts: number[] = []
  let packSource = 0
  const flush = (): void => {
    if (packIds.length === 0) return
    out.push({ ids: Int32Array.from(packIds), wordStarts: Uint8Array.from(packStarts), source: packSource })
    packIds = []
    packStarts = []
  }
  texts.forEach((text, source) => {
    const enc = tokenizer.encode(text)
    const n = enc.ids.length
    if (n === 0) return
    const starts = mlmWordStarts(text, enc, tokenizer, options.chineseSegmenter)
    for (const [a, b] of planWindows(n, size, 0, starts)) {
      const ids = enc.ids.slice(a, b)
      const ws = Array.from(starts.subarray(a, b))
      ws[0] = 1 // a chunk starts a word even when its edge had to cut one
      if (!options.pack) {
        out.push({ ids: Int32Array.from(ids), wordStarts: Uint8Array.from(ws), source })
        continue
      }
      if (packIds.length + ids.length > size) flush()
      if (packIds.length === 0) packSource = source
      packIds.push(...ids)
      packStarts.push(...ws)
    }
  })
  flush()
  return out
}

export interface MaskedExample {
  /** [CLS] ids [SEP] with the masking applied. */
  inputIds: Int32Array
  /** -100 except at the selected positions. */
  labels: Int32Array
  length: number
  selected: number
}

export interface MaskExamplesOptions {
  clsId: number
  sepId: number
  maskId: number
  vocabSize: number
  specialIds: ReadonlySet<number>
  probability?: number
  wholeWord: boolean
  seed: number
}

/** [CLS] example [SEP] for every example, masked afresh from `seed` (pass seed + epoch for a new mask each epoch). */
export function maskExamples(examples: readonly MlmExample[], options: MaskExamplesOptions): MaskedExample[] {
  const random = seededRandom(options.seed)
  const specialIds = new Set(options.specialIds)
  specialIds.add(options.clsId)
  specialIds.add(options.sepId)
  return examples.map((ex) => {
    const n = ex.ids.length + 2
    const ids = new Int32Array(n)
    ids[0] = options.clsId
    ids.set(ex.ids, 1)
    ids[n - 1] = options.sepId
    const wordStarts = new Uint8Array(n)
    wordStarts[0] = 1
    wordStarts.set(ex.wordStarts, 1)
    wordStarts[n - 1] = 1
    const m = maskTokens(ids, { vocabSize: options.vocabSize, maskId: options.maskId, specialIds, probability: options.probability, random, wordStarts, wholeWord: options.wholeWord })
    return { inputIds: m.inputIds, labels: m.labels, length: n, selected: m.selected }
  })
}
