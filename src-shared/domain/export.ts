/**
 * Exporting a run's model: the formats, the request and what comes back (the folder, its files
 * and sizes, and for int8 the entity F1 of the quantized model against the float one).
 */
import { z } from 'zod'
import { RunId } from './run'

export const MODEL_EXPORT_FORMATS = ['hf', 'tfjs', 'int8'] as const
export const ModelExportFormat = z.enum(MODEL_EXPORT_FORMATS)
export type ModelExportFormat = z.infer<typeof ModelExportFormat>

export const MODEL_EXPORT_TITLES: Record<ModelExportFormat, string> = {
  hf: 'Hugging Face folder (transformers)',
  tfjs: 'TensorFlow.js weights (float32)',
  int8: 'TensorFlow.js weights, int8-quantized',
}

export const RunExportInput = z.strictObject({
  id: RunId,
  format: ModelExportFormat,
  /**
   * An absolute folder path on the machine running Tagtune: the desktop app and the CLI only.
   * Left out, the export goes to a new folder under the data dir's exports/ (what a browser gets).
   */
  path: z.string().min(1).max(4096).optional(),
  /** Write into an existing folder that is not empty (files of an earlier export are replaced). */
  force: z.boolean().default(false),
})
export type RunExportInput = z.input<typeof RunExportInput>

export const ExportedFile = z.strictObject({ name: z.string(), bytes: z.number().int().min(0) })
export type ExportedFile = z.infer<typeof ExportedFile>

const TypeF1 = z.strictObject({ type: z.string(), support: z.number().int(), float: z.number(), int8: z.number() })

/** The int8 model against the float one on the run's test split (dev when it has no test split). */
export const QuantizationReport = z.strictObject({
  method: z.string(),
  split: z.string(),
  documents: z.number().int(),
  floatF1: z.number(),
  int8F1: z.number(),
  /** int8 − float. */
  difference: z.number(),
  perType: z.array(TypeF1),
  /** F1 between the two models' predicted spans (1: they predict exactly the same entities). */
  spanAgreement: z.number(),
  /** Documents where both predict exactly the same spans. */
  identicalDocuments: z.number().int(),
  /** Bytes of the weights: float32, and as stored in int8 (with the per-row scales and the float biases). */
  floatBytes: z.number().int(),
  int8Bytes: z.number().int(),
  /** int8Bytes / floatBytes. */
  sizeRatio: z.number(),
})
export type QuantizationReport = z.infer<typeof QuantizationReport>

export const RunExportResult = z.strictObject({
  runId: RunId,
  format: ModelExportFormat,
  /** The folder written (absolute). */
  dir: z.string(),
  /** The checkpoint exported: 'best', or 'last' for a run without a dev evaluation. */
  checkpoint: z.enum(['best', 'last']),
  files: z.array(ExportedFile),
  totalBytes: z.number().int(),
  /** What the user must know about this folder (CRF head, adapters, files left in place). */
  warnings: z.array(z.string()),
  quantization: QuantizationReport.nullable(),
  seconds: z.number(),
})
export type RunExportResult = z.infer<typeof RunExportResult>
