/**
 * Model suggestions: a finished run's predictions over a project's documents, shown in the
 * annotation workspace as spans to accept or reject, and ordering the queue least confident
 * first. Offsets are UTF-16 code units, as every span in Tagtune.
 */
import { z } from 'zod'

const RunId = z.number().int().positive()

export const SuggestionScope = z.enum(['not-done', 'all'])
export type SuggestionScope = z.infer<typeof SuggestionScope>

export const SuggestionsPredictInput = z.strictObject({
  runId: RunId,
  /** The documents not marked done (the default: what is left to annotate), or every document. */
  scope: SuggestionScope.default('not-done'),
  /** Best checkpoint (default), or the last one. */
  checkpoint: z.enum(['best', 'last']).default('best'),
})
export type SuggestionsPredictInput = z.input<typeof SuggestionsPredictInput>

export const SuggestionsPredictResult = z.strictObject({
  runId: RunId,
  projectId: z.number().int().positive(),
  /** Documents predicted and stored. */
  documents: z.number().int().nonnegative(),
  spans: z.number().int().nonnegative(),
  /** Documents whose least confident word is under 0.5. */
  uncertain: z.number().int().nonnegative(),
  cancelled: z.boolean(),
  elapsedMs: z.number().nonnegative(),
})
export type SuggestionsPredictResult = z.infer<typeof SuggestionsPredictResult>

export const SuggestionsProgress = z.strictObject({
  projectId: z.number().int().positive(),
  runId: RunId,
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  finished: z.boolean(),
})
export type SuggestionsProgress = z.infer<typeof SuggestionsProgress>

export const ModelSuggestion = z.strictObject({
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  labelId: z.number().int().positive(),
  confidence: z.number().min(0).max(1),
})
export type ModelSuggestion = z.infer<typeof ModelSuggestion>

export const DocumentSuggestions = z.strictObject({
  runId: RunId,
  documentId: z.number().int().positive(),
  /** The least confident word's probability. */
  confidence: z.number(),
  spans: z.array(ModelSuggestion),
  /** Predicted label names the project no longer has (their spans are left out). */
  unknownLabels: z.array(z.string()),
  createdAt: z.string(),
})
export type DocumentSuggestions = z.infer<typeof DocumentSuggestions>

export const SuggestionSource = z.strictObject({
  runId: RunId,
  name: z.string(),
  status: z.string(),
  /** Best dev entity F1 during training (0..1), when known. */
  devF1: z.number().nullable(),
  /** Whether the run has a saved model to predict with. */
  hasModel: z.boolean(),
  /** Its stored suggestions, if any were made. */
  predicted: z
    .strictObject({ documents: z.number(), uncertain: z.number(), meanConfidence: z.number(), createdAt: z.string() })
    .nullable(),
  /** Predicting now. */
  busy: z.boolean(),
})
export type SuggestionSource = z.infer<typeof SuggestionSource>
