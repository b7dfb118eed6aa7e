/**
 * What a WordPiece vocabulary says about its model: the scripts (and so the language) of its
 * word tokens, and whether it keeps case. Pure: tokens in, facts out.
 */
import type { ScriptShare } from '../../../src-shared/domain/model-library'

const SCRIPTS: readonly [string, RegExp][] = [
  ['Han', /\p{Script=Han}/u],
  ['Kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Bengali', /\p{Script=Bengali}/u],
  ['Tamil', /\p{Script=Tamil}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Armenian', /\p{Script=Armenian}/u],
]

/** The token as written: without the WordPiece continuation prefix; special tokens ([CLS], [unused3]) are not words. */
function word(token: string, prefix: string): string | null {
  if (/^\[[^\]]*\]$/.test(token) || /^<[^>]*>$/.test(token)) return null
  return token.startsWith(prefix) ? token.slice(prefix.length) : token
}

function scriptOf(w: string): string | null {
  const letter = /\p{L}/u.exec(w)?.[0]
  if (letter === undefined) return null
  for (const [name, re] of SCRIPTS) if (re.test(letter)) return name
  return 'Other'
}

const SINGLE_LANGUAGE: Record<string, string> = {
  Hangul: 'Korean',
  Kana: 'Japanese',
  Greek: 'Greek',
  Hebrew: 'Hebrew',
  Thai: 'Thai',
  Georgian: 'Georgian',
  Armenian: 'Armenian',
  Cyrillic: 'Cyrillic script (Russian, Ukrainian, …)',
  Arabic: 'Arabic script (Arabic, Persian, Urdu, …)',
  Devanagari: 'Devanagari script (Hindi, Marathi, …)',
}

/** English function words that an English WordPiece vocabulary has as whole tokens (lowercase). */
const ENGLISH = ['the', 'and', 'of', 'to', 'is', 'was', 'with', 'which']

export interface LanguageHint {
  hint: string
  scripts: ScriptShare[]
}

/**
 * The language a vocabulary was built for, from the scripts of its word tokens: one script with
 * at least half of them names the language (Han → Chinese, or Japanese when kana are common;
 * Latin → English when English function words are whole tokens, else "Latin script"); three or
 * more scripts each above 4% → Multilingual. `declared` (a config's `language` field) wins.
 */
export function languageHint(tokens: readonly (string | undefined)[], prefix = '##', declared?: unknown): LanguageHint {
  const counts = new Map<string, number>()
  const whole = new Set<string>()
  let total = 0
  for (const t of tokens) {
    if (t === undefined) continue
    const w = word(t, prefix)
    if (w === null) continue
    const s = scriptOf(w)
    if (s === null) continue
    counts.set(s, (counts.get(s) ?? 0) + 1)
    total++
    if (!t.startsWith(prefix)) whole.add(w.toLowerCase())
  }
  const scripts = [...counts.entries()]
    .map(([script, n]) => ({ script, share: n / total }))
    .sort((a, b) => b.share - a.share)
  const top = scripts.slice(0, 4).map((s) => ({ script: s.script, share: Math.round(s.share * 1000) / 1000 }))
  if (typeof declared === 'string' && declared.trim()) return { hint: declared.trim(), scripts: top }
  if (Array.isArray(declared) && declared.length > 0 && declared.every((d) => typeof d === 'string')) {
    return { hint: declared.length > 3 ? 'Multilingual' : declared.join(', '), scripts: top }
  }
  if (total === 0) return { hint: 'unknown', scripts: top }
  const share = (s: string): number => counts.get(s) === undefined ? 0 : counts.get(s)! / total
  const many = scripts.filter((s) => s.share >= 0.04 && s.script !== 'Other')
  if (many.length >= 3) return { hint: 'Multilingual', scripts: top }
  const first = scripts[0]!
  if (first.share >= 0.5) {
    if (first.script === 'Han') return { hint: share('Kana') >= 0.05 ? 'Japanese' : 'Chinese', scripts: top }
    if (first.script === 'Latin') return { hint: ENGLISH.every((w) => whole.has(w)) ? 'English' : 'Latin script', scripts: top }
    return { hint: SINGLE_LANGUAGE[first.script] ?? `${first.script} script`, scripts: top }
  }
  if (many.length === 2) {
    const names = many.map((s) => (s.script === 'Han' ? 'Chinese' : s.script === 'Latin' ? (ENGLISH.every((w) => whole.has(w)) ? 'English' : 'Latin script') : SINGLE_LANGUAGE[s.script] ?? s.script))
    return { hint: names.join(' and '), scripts: top }
  }
  return { hint: 'unknown', scripts: top }
}

/**
 * Whether the vocabulary keeps case: a cased vocabulary has many word tokens with capitals
 * (bert-base-cased: thousands), an uncased one none or a handful (bert-base-chinese has a few
 * Latin capitals). The threshold is at least 50 such tokens and 1% of the word tokens.
 */
export function vocabularyIsCased(tokens: readonly (string | undefined)[], prefix = '##'): boolean {
  let upper = 0
  let words = 0
  for (const t of tokens) {
    if (t === undefined) continue
    const w = word(t, prefix)
    if (w === null || !/\p{L}/u.test(w)) continue
    words++
    if (/\p{Lu}/u.test(w)) upper++
  }
  return upper >= 50 && upper >= 0.01 * words
}
