/**
 * The Runs table and the comparison of runs as the contract carries them: one row per run with
 * its recipe and key scores; a comparison of 2 to 8 runs against a baseline (config diff,
 * per-type scores, paired bootstrap, repeats); and the documents where their predictions differ.
 * The maths is in compare.ts.
 */
import { z } from 'zod'
import { ProjectId } from './project'
import { NerEvaluationJson, RunId, RunSummary } from './run'
import { SPAN_ERROR_KINDS } from './compare'

export const EvalModeJson = z.enum(['default', 'strict'])
export const SpanErrorKindJson = z.enum(SPAN_ERROR_KINDS)

const Prf = z.strictObject({ precision: z.number(), recall: z.number(), f1: z.number() })

/** One row of the Runs table. */
export const RunTableRow = z.strictObject({
  run: RunSummary,
  /** "full", "LoRA r8", "FGM", ... (run-describe.ts). */
  recipe: z.string(),
  modelName: z.string(),
  backendLabel: z.string(),
  durationMs: z.number().nullable(),
  /** Micro scores on test with the best checkpoint, seqeval default mode; null before the run has them. */
  test: Prf.nullable(),
  testStrict: Prf.nullable(),
})
export type RunTableRow = z.infer<typeof RunTableRow>

export const RunCompareInput = z.strictObject({
  ids: z.array(RunId).min(2, 'compare at least 2 runs').max(8, 'compare at most 8 runs').refine((ids) => new Set(ids).size === ids.length, 'a run is listed twice'),
  /** The run the others are measured against; default the first. */
  baseline: RunId.optional(),
  mode: EvalModeJson.default('default'),
  split: z.enum(['dev', 'test']).default('test'),
  /** Paired bootstrap: resamples and seed (fixed, so a comparison repeats exactly). */
  samples: z.number().int().min(100).max(10_000).default(1000),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(12345),
})

export const BootstrapJson = z.strictObject({
  runId: RunId,
  baselineId: RunId,
  delta: z.number(),
  f1: z.number(),
  baselineF1: z.number(),
  low: z.number(),
  high: z.number(),
  pNotBetter: z.number(),
  samples: z.number().int(),
  seed: z.number().int(),
  /** Documents both runs predicted (the resampling unit). */
  documents: z.number().int(),
  significant: z.boolean(),
})
export type BootstrapJson = z.infer<typeof BootstrapJson>

const Spread = z.strictObject({ n: z.number().int(), mean: z.number(), std: z.number(), min: z.number(), max: z.number() })

export const RunComparison = z.strictObject({
  split: z.enum(['dev', 'test']),
  mode: EvalModeJson,
  baselineId: RunId,
  runs: z.array(
    z.strictObject({
      run: RunSummary,
      recipe: z.string(),
      modelName: z.string(),
      backendLabel: z.string(),
      durationMs: z.number().nullable(),
      /** The run's evaluation on the split in the mode (best checkpoint), null when it has none. */
      evaluation: NerEvaluationJson.nullable(),
      /** Stored predictions on the split (what the bootstrap and the prediction diff use). */
      predictions: z.number().int(),
    }),
  ),
  /** Every config key by dot path; `missing[i]` when run i's config lacks it (its value is then null). */
  configDiff: z.array(z.strictObject({ key: z.string(), values: z.array(z.unknown()), missing: z.array(z.boolean()), differs: z.boolean() })),
  perType: z.array(
    z.strictObject({
      type: z.string(),
      support: z.number().int(),
      scores: z.array(z.strictObject({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number().int() }).nullable()),
      deltas: z.array(z.number().nullable()),
      best: z.number().int(),
    }),
  ),
  /** Micro averages per run (null without an evaluation), with the F1 delta against the baseline. */
  micro: z.array(Prf.extend({ delta: z.number().nullable() }).nullable()),
  /** Per run against the baseline (null for the baseline itself, or when either has no predictions). */
  bootstrap: z.array(BootstrapJson.nullable()),
  /** The runs trained on different dataset snapshots (or some has none). */
  snapshotsDiffer: z.boolean(),
  snapshots: z.array(z.strictObject({ hash: z.string().nullable(), runIds: z.array(RunId) })),
  /** Runs among these that repeat one config with other seeds: spread of their scores. */
  repeats: z.array(z.strictObject({ runIds: z.array(RunId), f1: Spread, precision: Spread, recall: Spread, devF1: Spread.nullable() })),
})
export type RunComparison = z.infer<typeof RunComparison>

export const RunDisagreementsInput = z.strictObject({
  ids: RunCompareInput.shape.ids,
  split: z.enum(['dev', 'test']).default('test'),
  /** Only documents where the runs disagree about an entity of this type. */
  type: z.string().min(1).max(100).optional(),
  /** Only documents where some run (not all) makes an error of this kind. */
  kind: SpanErrorKindJson.optional(),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(100).default(10),
})

const SpanJson = z.strictObject({ start: z.number().int(), end: z.number().int(), label: z.string() })

export const RunDisagreementsPage = z.strictObject({
  /** Documents matching the filters. */
  total: z.number().int(),
  /** Documents the runs disagree on at all, and documents all of them predicted. */
  disagreeing: z.number().int(),
  documents: z.number().int(),
  /** Documents per error kind (under the type filter) and per entity type (under the kind filter). */
  kinds: z.record(z.string(), z.number().int()),
  types: z.record(z.string(), z.number().int()),
  /** Runs left out because they stored no predictions on the split. */
  withoutPredictions: z.array(RunId),
  items: z.array(
    z.strictObject({
      documentId: z.number().int(),
      text: z.string(),
      gold: z.array(SpanJson),
      runs: z.array(
        z.strictObject({
          runId: RunId,
          spans: z.array(SpanJson.extend({ confidence: z.number() })),
          errors: z.array(z.strictObject({ kind: SpanErrorKindJson, gold: SpanJson.optional(), pred: SpanJson.optional(), shared: z.boolean() })),
        }),
      ),
    }),
  ),
})
export type RunDisagreementsPage = z.infer<typeof RunDisagreementsPage>

export const RunTableInput = z.strictObject({ projectId: ProjectId })
