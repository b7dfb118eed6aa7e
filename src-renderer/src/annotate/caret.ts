/** Moving a caret through text by character or word without splitting surrogate pairs. Pure. */
import { splitsPair } from '@shared/domain/spans'

export function nextChar(text: string, at: number): number {
  if (at >= text.length) return text.length
  return splitsPair(text, at + 1) ? at + 2 : at + 1
}

export function prevChar(text: string, at: number): number {
  if (at <= 0) return 0
  return splitsPair(text, at - 1) ? at - 2 : at - 1
}

const WORDISH = /[\p{L}\p{N}\p{M}_]/u
const isWord = (text: string, i: number): boolean => i >= 0 && i < text.length && WORDISH.test(text[i]!)

/** The end of the next word (like Ctrl+Right in an editor). */
export function nextWord(text: string, at: number): number {
  let i = at
  while (i < text.length && !isWord(text, i)) i++
  while (i < text.length && isWord(text, i)) i++
  return i === at ? nextChar(text, at) : i
}

/** The start of the previous word (like Ctrl+Left). */
export function prevWord(text: string, at: number): number {
  let i = at
  while (i > 0 && !isWord(text, i - 1)) i--
  while (i > 0 && isWord(text, i - 1)) i--
  return i === at ? prevChar(text, at) : i
}
