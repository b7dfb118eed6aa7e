/**
 * BERT WordPiece tokenizer compatible with Hugging Face's BertTokenizer / BertTokenizerFast,
 * with UTF-16 offsets into the original text. Only load.ts reads files; the rest is pure.
 */
export { basicTokenize, type BasicTokenizerOptions, type Word } from './basic'
export { BERT_DEFAULTS, parseTokenizerConfig, resolveOptions, resolvedStripAccents, type BertTokenizerOptions, type TokenizerConfig } from './config'
export { loadBertTokenizer, loadTokenizerFiles, loadVocabFile, TOKENIZER_FILES, type LoadedTokenizerFiles } from './load'
export {
  addSpecialTokens,
  createBertTokenizer,
  type BertTokenizer,
  type Encoding,
  type EncodingWithSpecialTokens,
  type Offset,
  type SpecialToken,
  type TokenizerSettings,
} from './tokenizer'
export { parseJsonObject, parseTokenizerJson, parseVocabTxt, TokenizerFileError, vocabFromMap, type TokenizerJsonModel, type Vocab } from './vocab'
export { pieceBounds, wordPiece, type PieceBounds, type Pieces, type WordPieceModel } from './wordpiece'
