/**
 * The model and tokenizer a run starts from: a Hugging Face folder, or a new model of a given
 * shape over a vocabulary file ("from scratch").
 */
import { BERT_CONFIG_DEFAULTS, parseBertConfig } from '../engine/model/bert-config'
import { createTokenClassifier, loadTokenClassifier } from '../engine/model/io'
import { createBertTokenizer, loadBertTokenizer, loadVocabFile, type BertTokenizer } from '../engine/tokenizer'
import type { TokenClassifier } from '../engine/heads/token-classification'
import type { ModelSource } from '../../src-shared/domain/run-config'

export interface StartingModel {
  model: TokenClassifier
  tokenizer: BertTokenizer
  notes: string[]
  description: string
}

/** An uncased vocabulary has no token with an uppercase letter (bert-base-uncased, bert-base-chinese has a few: so only decide when obvious). */
function looksUncased(tokens: readonly (string | undefined)[]): boolean {
  let upper = 0
  for (const t of tokens) if (t && !t.startsWith('[') && /\p{Lu}/u.test(t)) upper++
  return upper < 50
}

export function loadStartingModel(source: ModelSource, tags: string[], seed: number): StartingModel {
  if (typeof source === 'string') {
    // The model first: its errors (no folder, no weights, how to convert) are the more useful.
    const loaded = loadTokenClassifier(source, { labels: tags, seed })
    const { tokenizer, warnings } = loadBertTokenizer(source)
    if (loaded.model.config.vocab_size < tokenizer.vocab.size) {
      throw new Error(`${source}: the tokenizer has ${tokenizer.vocab.size} tokens but the model only ${loaded.model.config.vocab_size} embeddings`)
    }
    return { model: loaded.model, tokenizer, notes: [...warnings, ...loaded.notes], description: source }
  }
  const s = source.scratch
  const vocab = loadVocabFile(s.vocab)
  const lowercase = s.lowercase ?? looksUncased(vocab.idToToken)
  const tokenizer = createBertTokenizer(vocab, { doLowerCase: lowercase })
  if (s.hiddenSize % s.numHeads !== 0) throw new Error(`hiddenSize ${s.hiddenSize} is not a multiple of numHeads ${s.numHeads}`)
  const config = parseBertConfig({
    ...BERT_CONFIG_DEFAULTS,
    model_type: 'bert',
    architectures: ['BertForTokenClassification'],
    vocab_size: vocab.size,
    hidden_size: s.hiddenSize,
    num_hidden_layers: s.numLayers,
    num_attention_heads: s.numHeads,
    intermediate_size: s.intermediateSize ?? 4 * s.hiddenSize,
    max_position_embeddings: s.maxPositions,
    pad_token_id: tokenizer.pad.id,
  })
  const model = createTokenClassifier(config, tags, seed)
  return {
    model,
    tokenizer,
    notes: [`New model from scratch: hidden ${s.hiddenSize}, ${s.numLayers} layers, ${s.numHeads} heads, vocabulary of ${vocab.size} (${lowercase ? 'lowercased' : 'cased'}).`],
    description: `scratch (hidden ${s.hiddenSize}, ${s.numLayers} layers)`,
  }
}
