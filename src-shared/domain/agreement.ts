/**
 * Inter-annotator agreement at the span level: two annotators agree on a span when both
 * marked the same start, end and label. F1 = 2·agreed / (spans of A + spans of B), the usual
 * measure for NER agreement (kappa is ill-defined for spans). Pure.
 */
import type { SpanTuple } from './dataset'

export interface Counts {
  agreed: number
  a: number
  b: number
}

export const f1 = (c: Counts): number => (c.a + c.b === 0 ? 1 : (2 * c.agreed) / (c.a + c.b))

const key = (s: SpanTuple): string => `${s[0]}:${s[1]}:${s[2]}`

/** Agreement counts of two span lists, overall and per label id. */
export function compareSpans(a: readonly SpanTuple[], b: readonly SpanTuple[]): { all: Counts; perLabel: Map<number, Counts> } {
  const inB = new Set(b.map(key))
  const perLabel = new Map<number, Counts>()
  const bump = (label: number, field: keyof Counts): void => {
    const c = perLabel.get(label) ?? { agreed: 0, a: 0, b: 0 }
    c[field]++
    perLabel.set(label, c)
  }
  let agreed = 0
  for (const s of a) {
    bump(s[2], 'a')
    if (inB.has(key(s))) {
      agreed++
      bump(s[2], 'agreed')
    }
  }
  for (const s of b) bump(s[2], 'b')
  return { all: { agreed, a: a.length, b: b.length }, perLabel }
}

export interface AnnotatedDocument {
  documentId: number
  position: number
  annotations: { annotator: string; spans: SpanTuple[] }[]
}

export interface AgreementReport {
  annotators: string[]
  /** One entry per pair of annotators who annotated at least one document in common. */
  pairs: { a: string; b: string; documents: number; f1: number; perLabel: { labelId: number; f1: number; spans: number }[] }[]
  /** Per label, over every pair and shared document. */
  perLabel: { labelId: number; f1: number; spans: number }[]
  /** Documents where the annotators' spans differ, most differing first. */
  disagreements: { documentId: number; position: number; annotators: string[]; differing: number }[]
}

const add = (x: Counts, y: Counts): Counts => ({ agreed: x.agreed + y.agreed, a: x.a + y.a, b: x.b + y.b })

export function agreement(docs: readonly AnnotatedDocument[]): AgreementReport {
  const annotators = [...new Set(docs.flatMap((d) => d.annotations.map((a) => a.annotator)))].sort()
  const pairTotals = new Map<string, { docs: number; all: Counts; perLabel: Map<number, Counts> }>()
  const labelTotals = new Map<number, Counts>()
  const disagreements: AgreementReport['disagreements'] = []
  for (const d of docs) {
    const list = [...d.annotations].sort((x, y) => x.annotator.localeCompare(y.annotator))
    let differing = 0
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const c = compareSpans(list[i]!.spans, list[j]!.spans)
        differing += c.all.a + c.all.b - 2 * c.all.agreed
        const k = `${list[i]!.annotator}\u0000${list[j]!.annotator}`
        const t = pairTotals.get(k) ?? { docs: 0, all: { agreed: 0, a: 0, b: 0 }, perLabel: new Map() }
        t.docs++
        t.all = add(t.all, c.all)
        for (const [label, lc] of c.perLabel) {
          t.perLabel.set(label, add(t.perLabel.get(label) ?? { agreed: 0, a: 0, b: 0 }, lc))
          labelTotals.set(label, add(labelTotals.get(label) ?? { agreed: 0, a: 0, b: 0 }, lc))
        }
        pairTotals.set(k, t)
      }
    }
    if (differing > 0) disagreements.push({ documentId: d.documentId, position: d.position, annotators: list.map((x) => x.annotator), differing })
  }
  const labelRows = (m: Map<number, Counts>) => [...m].map(([labelId, c]) => ({ labelId, f1: f1(c), spans: c.a + c.b })).sort((x, y) => x.labelId - y.labelId)
  return {
    annotators,
    pairs: [...pairTotals].map(([k, t]) => {
      const [a, b] = k.split('\u0000') as [string, string]
      return { a, b, documents: t.docs, f1: f1(t.all), perLabel: labelRows(t.perLabel) }
    }),
    perLabel: labelRows(labelTotals),
    disagreements: disagreements.sort((x, y) => y.differing - x.differing || x.position - y.position),
  }
}

/** Spans proposed to a reviewer: every span anyone marked, with who marked it; kept by default when most did. */
export function candidates(annotations: readonly { annotator: string; spans: SpanTuple[] }[]): { span: SpanTuple; by: string[]; majority: boolean }[] {
  const by = new Map<string, { span: SpanTuple; by: string[] }>()
  for (const a of annotations) for (const s of a.spans) {
    const k = key(s)
    const e = by.get(k) ?? { span: s, by: [] }
    e.by.push(a.annotator)
    by.set(k, e)
  }
  return [...by.values()].map((e) => ({ ...e, majority: e.by.length * 2 > annotations.length })).sort((x, y) => x.span[0] - y.span[0] || x.span[1] - y.span[1])
}
