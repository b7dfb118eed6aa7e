/**
 * NER training data: annotated documents -> BERT windows and labels (encode), what does not
 * align with the tokenizer (alignment), padded seeded batches (batch), and model output ->
 * word tags and character spans (decode). Pure: no tfjs, no storage.
 */
export {
  alignDocument,
  checkAlignment,
  findWordStarts,
  type AlignedDocument,
  type AlignedSpan,
  type AlignmentIssue,
  type AlignmentReason,
  type NerDocument,
  type NerSpan,
} from './alignment'
export { collate, countTokens, makeBatches, paddingWaste, shuffleInPlace, splitBatchOutput, type Batch, type BatchOptions } from './batch'
export {
  decodeSpans,
  leastWordConfidence,
  mergeByDocument,
  mergeWindowPredictions,
  softmaxRows,
  tokenTags,
  type DecodeOptions,
  type PredictedSpan,
  type WordReadOptions,
} from './decode'
export { defaultStride, encodeDocument, encodeDocuments, type EncodedDocument, type EncodedWindow, type EncodeOptions } from './encode'
export { buildTagSet, IGNORE_LABEL, tagId, tagSetFromId2Label, tagSetToConfig, type TagRole, type TagSet, type TrainingScheme } from './labels'
export { MAX_WORD_BACKOFF, planWindows } from './windows'
