/**
 * The model card (README.md) of an exported model: what it is, how to load it in the exported
 * format, the data snapshot it was trained on, its run config, its scores, how long and where it
 * trained, and its intended use and limits. The license is left for the user to fill in. Pure.
 */
import type { NerEvaluation } from '../../../src-shared/domain/ner-eval'
import type { ExportedFile, ModelExportFormat, QuantizationReport } from '../../../src-shared/domain/export'

export interface CardInput {
  format: ModelExportFormat
  run: {
    id: number
    name: string
    projectName: string
    status: string
    notes: string
    tags: string[]
    config: Record<string, unknown>
    /** The base model: a folder's name, or "from scratch". */
    baseModel: string
    datasetHash: string | null
    datasetSummary: {
      labels: string[]
      documents: Record<string, number>
      tokens: Record<string, number>
      entities: Record<string, Record<string, number>>
    } | null
    backend: { label?: string; name?: string; device?: string } | null
    startedAt: string | null
    endedAt: string | null
    totalParams: number | null
    trainableParams: number | null
    bestStep: number | null
  }
  checkpoint: 'best' | 'last'
  /** Tags by id. */
  labels: string[]
  head: 'softmax' | 'crf'
  peft: 'lora' | 'adapter' | null
  doLowerCase: boolean | null
  dev: { evaluation: NerEvaluation; step: number } | null
  test: { default: NerEvaluation; strict: NerEvaluation | null } | null
  trainingMs: number | null
  files: ExportedFile[]
  warnings: string[]
  quantization: QuantizationReport | null
  tagtuneVersion: string
  exportedAt: string
}

const SPLITS = ['train', 'dev', 'test'] as const

const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}`)

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'unknown'
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

const yamlString = (s: string): string => JSON.stringify(s)

function scoresTable(e: NerEvaluation): string[] {
  const rows = ['| type | precision | recall | F1 | support |', '|---|---|---|---|---|']
  for (const t of e.report.perType) rows.push(`| ${t.type} | ${pct(t.precision)} | ${pct(t.recall)} | ${pct(t.f1)} | ${t.support} |`)
  const m = e.report.micro
  rows.push(`| **micro avg** | ${pct(m.precision)} | ${pct(m.recall)} | **${pct(m.f1)}** | ${m.support} |`)
  const ma = e.report.macro
  rows.push(`| macro avg | ${pct(ma.precision)} | ${pct(ma.recall)} | ${pct(ma.f1)} | ${ma.support} |`)
  return rows
}

function usage(input: CardInput): string[] {
  const aggregation = input.run.config.labelAllSubtokens === true ? 'simple' : 'first'
  if (input.format === 'hf') {
    return [
      '```python',
      'from transformers import pipeline',
      '',
      `ner = pipeline("token-classification", model="path/to/this/folder", aggregation_strategy="${aggregation}")`,
      'print(ner("Your text here."))',
      '```',
      '',
      `The model was trained with ${input.run.config.labelAllSubtokens === true ? 'every sub-token of a word labelled' : "only each word's first sub-token labelled"}; ` +
        `\`aggregation_strategy="${aggregation}"\` reads words the same way. Tagtune splits documents longer than ${input.run.config.maxLength ?? 128} tokens into overlapping windows; ` +
        "the pipeline does not: split long texts (or pass `stride`) before predicting.",
    ]
  }
  const lines = [
    'The weights are in TensorFlow.js\'s standard weights-manifest format: `model.json` holds `weightsManifest`, the `group1-shard*.bin` files the weights.',
    '',
    '```js',
    "import * as tf from '@tensorflow/tfjs'",
    '',
    "const base = 'https://example.org/models/this-folder/' // where the folder is served",
    "const modelJson = await (await fetch(base + 'model.json')).json()",
    'const weights = await tf.io.loadWeights(modelJson.weightsManifest, base)',
  ]
  if (input.format === 'int8') {
    lines.push(
      '// int8: each quantized weight decodes to its integers q (-127..127); multiply each row by its scale.',
      'for (const name of modelJson.tagtune.quantization.tensors) {',
      "  const q = weights[name], scale = weights[name + '.quant_scale']",
      '  weights[name] = tf.mul(q, tf.expandDims(scale, 1))',
      '  q.dispose(); scale.dispose(); delete weights[name + \'.quant_scale\']',
      '}',
    )
  }
  lines.push(
    "// weights['bert.encoder.layer.0.attention.self.query.weight'] is [out, in], as in PyTorch: y = x · Wᵀ + b",
    '```',
    '',
    'The names are Hugging Face\'s BertForTokenClassification names (`bert.embeddings.*`, `bert.encoder.layer.N.*`, `classifier.*`). ' +
      'The forward pass is BERT\'s (post-LayerNorm encoder layers, exact erf GELU, `layer_norm_eps` from config.json); the tokenizer is the WordPiece one described by `vocab.txt` and `tokenizer_config.json`; the tags are `tagtune.labels` in model.json (and `id2label` in config.json). ' +
      'In Tagtune, `loadTfjsTokenClassifier(folder)` (src-main/engine/model/tfjs-format.ts) loads the folder back.',
  )
  return lines
}

export function modelCard(input: CardInput): string {
  const r = input.run
  const types = [...new Set(input.labels.filter((l) => l !== 'O').map((l) => l.replace(/^[A-Z]+-/, '')))]
  const formatTitle = { hf: 'Hugging Face transformers folder', tfjs: 'TensorFlow.js weights (float32)', int8: 'TensorFlow.js weights, int8-quantized (one scale per row)' }[input.format]
  const lines: string[] = [
    '---',
    'license:  # not set: fill in the license under which you share this model (the base model\'s and the data\'s terms apply)',
    `library_name: ${input.format === 'hf' ? 'transformers' : 'tensorflowjs'}`,
    'pipeline_tag: token-classification',
    'tags:',
    '  - token-classification',
    '  - ner',
    '  - tagtune',
    ...(input.format === 'int8' ? ['  - int8'] : []),
    `model_name: ${yamlString(r.name)}`,
    '---',
    '',
    `# ${r.name}`,
    '',
    `A named-entity recognition model (${types.join(', ') || 'no entity types'}) fine-tuned with Tagtune ${input.tagtuneVersion} from **${r.baseModel}** on the project *${r.projectName}* (run #${r.id}, ${input.checkpoint} checkpoint${r.bestStep !== null && input.checkpoint === 'best' ? ` at step ${r.bestStep}` : ''}). ` +
      `This folder is the **${formatTitle}** export, written ${input.exportedAt}.`,
  ]
  if (r.notes.trim()) lines.push('', `> ${r.notes.trim().replace(/\n/g, '\n> ')}`)
  if (input.warnings.length > 0) {
    lines.push('', '## Read this first', '')
    for (const w of input.warnings) lines.push(`- ${w}`)
  }

  lines.push('', '## How to use', '', ...usage(input))

  lines.push('', '## Model', '')
  lines.push(`- Architecture: BertForTokenClassification (${String(r.config.head ?? 'softmax') === 'crf' ? 'with a CRF over the tags, decoded with Viterbi' : 'softmax over the tags'}).`)
  lines.push(`- Tags (${input.labels.length}, scheme ${String(r.config.scheme ?? 'iob2').toUpperCase()}): ${input.labels.map((l) => `\`${l}\``).join(', ')}.`)
  if (r.totalParams !== null) lines.push(`- Parameters: ${r.totalParams.toLocaleString('en-US')}${r.trainableParams !== null && r.trainableParams !== r.totalParams ? ` (${r.trainableParams.toLocaleString('en-US')} trained)` : ''}.`)
  if (input.peft === 'lora') lines.push('- Trained with LoRA; the low-rank updates are merged into the weights here, so this is an ordinary BERT model.')
  if (input.peft === 'adapter') lines.push('- Trained with Houlsby adapters (see *Read this first*).')
  if (input.doLowerCase !== null) lines.push(`- Tokenizer: WordPiece, ${input.doLowerCase ? 'lowercasing the text (uncased)' : 'keeping case (cased)'}.`)

  lines.push('', '## Training data', '')
  if (r.datasetHash) lines.push(`Snapshot \`${r.datasetHash}\` of the project's documents marked done (the same hash means the same data, annotation for annotation).`)
  const s = r.datasetSummary
  if (s) {
    lines.push('', `| split | documents | tokens | ${s.labels.join(' | ')} |`, `|---|---|---|${s.labels.map(() => '---|').join('')}`)
    for (const split of SPLITS) {
      lines.push(`| ${split} | ${s.documents[split] ?? 0} | ${s.tokens[split] ?? 0} | ${s.labels.map((l) => s.entities[split]?.[l] ?? 0).join(' | ')} |`)
    }
    lines.push('', 'Entities per type are counted per split.')
  } else {
    lines.push('No snapshot summary was recorded for this run.')
  }

  lines.push('', '## Results', '')
  if (input.dev) lines.push(`Dev entity F1 (seqeval, default mode) of this checkpoint: **${pct(input.dev.evaluation.f1)}** (step ${input.dev.step}).`)
  if (input.test) {
    lines.push(`Test entity F1: **${pct(input.test.default.f1)}** (seqeval default mode)${input.test.strict ? `, ${pct(input.test.strict.f1)} in strict mode` : ''}.`, '', 'Per entity type on test (default mode, %):', '', ...scoresTable(input.test.default))
  } else if (input.dev) {
    lines.push('', 'There is no test evaluation (no test split); per entity type on dev (default mode, %):', '', ...scoresTable(input.dev.evaluation))
  } else {
    lines.push('This checkpoint has no evaluation yet.')
  }
  const q = input.quantization
  if (q) {
    lines.push(
      '',
      `### int8 against float32 (${q.split} split, ${q.documents} documents)`,
      '',
      '| | float32 | int8 | difference |',
      '|---|---|---|---|',
      `| entity F1 | ${pct(q.floatF1)} | ${pct(q.int8F1)} | ${(100 * q.difference >= 0 ? '+' : '') + (100 * q.difference).toFixed(2)} points |`,
      ...q.perType.map((t) => `| F1 ${t.type} (${t.support}) | ${pct(t.float)} | ${pct(t.int8)} | ${(100 * (t.int8 - t.float) >= 0 ? '+' : '') + (100 * (t.int8 - t.float)).toFixed(2)} |`),
      `| weights | ${formatBytes(q.floatBytes)} | ${formatBytes(q.int8Bytes)} | ×${q.sizeRatio.toFixed(3)} |`,
      '',
      `The two models predict the same spans with an agreement F1 of ${pct(q.spanAgreement)}% (${q.identicalDocuments} of ${q.documents} documents identical). ` +
        'Method: symmetric int8 with one float32 scale per row of each Linear weight and embedding table (per output channel); biases, LayerNorm and CRF scores stay float32.',
    )
  }

  lines.push('', '## Training', '')
  const wallMs = r.startedAt && r.endedAt ? Date.parse(r.endedAt) - Date.parse(r.startedAt) : null
  lines.push(`- Training time: ${formatDuration(input.trainingMs)} in the training loop${wallMs !== null ? `, ${formatDuration(wallMs)} from start to end (with loading, evaluations and checkpoints; started ${r.startedAt})` : ''}.`)
  if (r.backend) lines.push(`- Compute backend: ${r.backend.label ?? `${r.backend.name ?? 'unknown'}${r.backend.device ? ` (${r.backend.device})` : ''}`}.`)
  lines.push(`- Run status when exported: ${r.status}.`)
  if (r.tags.length) lines.push(`- Run tags: ${r.tags.join(', ')}.`)
  lines.push('', 'Run config (Tagtune `train --config` format; paths on the training machine shortened to their last name):', '', '```json', JSON.stringify(withoutLocalPaths(r.config), null, 2), '```')

  const trainDocs = s?.documents['train'] ?? null
  const testDocs = s?.documents['test'] ?? null
  lines.push(
    '',
    '## Intended use and limitations',
    '',
    `- Intended use: finding ${types.join(', ') || 'entities'} in text like the ${trainDocs ?? 'unknown number of'} training documents of *${r.projectName}*. Expect lower scores on text from other sources, domains, periods or languages; measure on your own annotated sample before relying on it.`,
    `- The scores above come from ${testDocs !== null ? `${testDocs} test documents` : 'the run\'s own evaluation'}${testDocs !== null && testDocs < 200 ? ': a small sample, so they are uncertain by several points' : ''}.`,
    '- Only the entity types listed are predicted; anything else is tagged `O`. Nested or overlapping entities are not predicted.',
    '- The model reproduces the patterns (and the mistakes and biases) of its annotations; it was not evaluated for fairness across groups of people.',
    `- Sequence length: trained on windows of ${r.config.maxLength ?? 128} tokens.`,
    '',
    '## License',
    '',
    'Not set. Fill in the `license:` field at the top of this file before sharing the model; the terms of the base model and of the training data apply.',
    '',
    '## Files',
    '',
    '| file | size |',
    '|---|---|',
    ...input.files.map((f) => `| ${f.name} | ${formatBytes(f.bytes)} |`),
    '',
  )
  return lines.join('\n')
}

/** The run config with the base model's folder and a scratch model's vocabulary as their last names: a published card should not show the workstation's paths. */
export function withoutLocalPaths(config: Record<string, unknown>): Record<string, unknown> {
  const short = (p: unknown): unknown => (typeof p === 'string' ? (p.split(/[\\/]/).filter(Boolean).pop() ?? p) : p)
  const model = config.model
  if (typeof model === 'string') return { ...config, model: short(model) }
  if (model && typeof model === 'object' && 'scratch' in model) {
    const scratch = (model as { scratch: Record<string, unknown> }).scratch
    return { ...config, model: { ...model, scratch: { ...scratch, vocab: short(scratch.vocab) } } }
  }
  return config
}
