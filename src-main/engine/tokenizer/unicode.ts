/**
 * Character classes of BERT's basic tokenization, as transformers' BertTokenizer (Python) and
 * the tokenizers library's BertNormalizer / BertPreTokenizer (Rust, used by BertTokenizerFast)
 * define them. Pure functions of one code point.
 */

/**
 * A code point that cleaning removes: U+0000, U+FFFD, and the control (Cc), format (Cf),
 * surrogate (Cs) and private-use (Co) categories, except \t \n \r.
 *
 * Unassigned code points (Cn) are kept, as the fast tokenizer (Rust) keeps them. transformers'
 * Python BertTokenizer removes them too ("C*"), but which code points are unassigned depends on
 * the Unicode version of each runtime, so an emoji newer than the runtime would vanish there;
 * here, as in the fast tokenizer, it stays and becomes [UNK].
 */
export function isRemoved(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false
  if (cp === 0 || cp === 0xfffd) return true
  return CONTROL.test(String.fromCodePoint(cp))
}
const CONTROL = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}]$/u

/**
 * Whitespace: ' ', \t, \n, \r and "Zs" (transformers' _is_whitespace), plus U+2028 and U+2029,
 * which Python's str.split() and Rust's char::is_whitespace both split on. The other Unicode
 * white space (\v, \f, U+0085, U+001C..U+001F) is a control character and removed first.
 */
export function isWhitespace(cp: number): boolean {
  if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d || cp === 0x2028 || cp === 0x2029) return true
  return cp > 0x7f && SPACE_SEPARATOR.test(String.fromCodePoint(cp))
}
const SPACE_SEPARATOR = /^\p{Zs}$/u

/**
 * transformers' _is_punctuation: every non-alphanumeric printable ASCII character (33-47, 58-64,
 * 91-96, 123-126, so also $ + < = > ^ ` | ~) and every Unicode "P*" category.
 */
export function isPunctuation(cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true
  return cp > 0x7f && PUNCTUATION.test(String.fromCodePoint(cp))
}
const PUNCTUATION = /^\p{P}$/u

/**
 * The CJK ideograph ranges of transformers' BasicTokenizer._is_chinese_char. (The Rust
 * BertNormalizer starts its fifth range at U+2B920 instead of U+2B820; this follows transformers.)
 */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  )
}

const NONSPACING_MARK = /\p{Mn}/gu

/** Accent stripping of one character: NFD, then every "Mn" (non-spacing mark) dropped. May be ''. */
export function stripAccents(ch: string): string {
  return ch.normalize('NFD').replace(NONSPACING_MARK, '')
}

/**
 * What lowercasing and/or accent stripping makes of one character. Lowercasing is per character
 * (no final-sigma rule), as in both HF tokenizers: the fast one lowercases char by char, and the
 * slow one lowercases the text char by char before anything else. Stripping then lowercasing
 * (Rust's order) and the reverse (Python's) agree for every code point.
 */
export function transformChar(ch: string, lowercase: boolean, strip: boolean): string {
  const s = strip ? stripAccents(ch) : ch
  return lowercase ? s.toLowerCase() : s
}
