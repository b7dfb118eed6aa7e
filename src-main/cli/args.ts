/** Parsing `tagtune <command> [options]`: global options plus each command's own. Pure. */
import { parseArgs } from 'node:util'

export class UsageError extends Error {}

export const USAGE = `Usage: tagtune <command> [options]

Commands:
  info                                   version, data dir, database and compute backend
  project list                           all projects with their labels
  project show <id|name>                 one project
  project create <name> [--labels PER,ORG,LOC] [--scheme iob2|iobes|iob1|bmes]
                        [--description TEXT]
  project delete <id|name> --yes         delete a project and everything in it
  sample                                 create the WNUT-17 sample project (400 sentences)
  data import <project> <file>... [--format F] [--encoding E] [--scheme S]
                        [--split train|dev|test|unassigned] [--tag-column N]
                        [--separator tab|space] [--weibo] [--invalid-tags repair|reject]
                        [--add-labels] [--dry-run]
  data export <project> --format F --out PATH [--split S] [--scheme S]
  data stats <project>                   documents, tokens, entities per label and split
  data split <project> --ratios 0.8,0.1,0.1 [--seed N] [--no-stratify] [--only-unassigned]
  train <project> --config run.json [--model DIR | --scratch] [--name NAME]
                                         fine-tune on the project's done documents; prints a
                                         progress bar, then the dev and test reports
  pretrain <project> --config pretrain.json [--file F] [--out DIR]
                                         masked-language-model pretraining on the project's
                                         text (or a file); fine-tune the result with --model
  eval <run> [--split test | --file F [--format F]] [--mode default|strict|both]
             [--robustness [--epsilon 0.5,1] [--noise 0.05]]
                                         entity-level report (seqeval) of a run's best model
  predict <run> --in F --out F [--format F] [--scheme S]
                                         predict entities for a file's documents (any format;
                                         --format of the output, a folder for brat)
  export <run> --format hf|tfjs|int8 --out DIR [--force]
                                         export a run's best model: a Hugging Face folder,
                                         tfjs weights, or int8 tfjs weights (with its F1
                                         against the float model); --force writes into a
                                         folder that is not empty
  models list                            the model library: imported, downloaded and fine-tuned
                                         models with size, parameters, vocabulary, language
  models import <folder> [--link] [--name NAME]
                                         check a Hugging Face BERT folder and copy it into the
                                         library (--link: link its files instead of copying)
  models download <repo> [--revision main] [--endpoint URL] [--proxy URL] [--token T]
                  [--name NAME]          download from a Hugging Face compatible hub (default
                                         $HF_ENDPOINT, else https://huggingface.co; token also
                                         from $HF_TOKEN); an interrupted download resumes
  models delete <id>                     remove a library model (a linked folder stays)
  runs list <project>                    the project's runs with status and scores
  runs compare <run> <run>... [--baseline RUN] [--mode default|strict] [--split test|dev]
                                         settings that differ, per-type scores and a paired
                                         bootstrap of each run against the baseline
  serve [--host 127.0.0.1] [--port 5678] [--token TOKEN] [--user NAME=TOKEN ...]
                                         the app in a browser, over HTTP and WebSocket;
                                         --user gives each teammate a token of their own
  serve-model <run> [--host 127.0.0.1] [--port 8765] [--token TOKEN] [--max-batch 32]
                    [--batch-window 0] [--max-body 1048576] [--max-texts 64] [--max-chars 20000]
                                         serve a run's best model over HTTP: POST /v1/ner
                                         {"texts": [...]} answers the entities; Ctrl-C stops

Formats: conll, doccano, label-studio, spacy, cluener, brat, text (detected when not given).

Options for every command:
  --data-dir DIR     where the data lives (default: $TAGTUNE_HOME, else ~/.local/share/tagtune)
  --json             machine-readable output on stdout; errors on stderr, non-zero exit
  --backend NAME     auto | tensorflow-gpu | tensorflow | wasm | cpu (default auto)
  -h, --help         this text
`

const OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  labels: { type: 'string' },
  scheme: { type: 'string' },
  description: { type: 'string' },
  yes: { type: 'boolean', default: false },
  host: { type: 'string' },
  port: { type: 'string' },
  token: { type: 'string' },
  user: { type: 'string', multiple: true },
  format: { type: 'string' },
  encoding: { type: 'string' },
  split: { type: 'string' },
  'tag-column': { type: 'string' },
  separator: { type: 'string' },
  weibo: { type: 'boolean', default: false },
  'invalid-tags': { type: 'string' },
  'add-labels': { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  out: { type: 'string' },
  ratios: { type: 'string' },
  seed: { type: 'string' },
  'no-stratify': { type: 'boolean', default: false },
  'only-unassigned': { type: 'boolean', default: false },
  config: { type: 'string' },
  model: { type: 'string' },
  scratch: { type: 'boolean', default: false },
  name: { type: 'string' },
  file: { type: 'string' },
  mode: { type: 'string' },
  in: { type: 'string' },
  baseline: { type: 'string' },
  robustness: { type: 'boolean', default: false },
  epsilon: { type: 'string' },
  noise: { type: 'string' },
  link: { type: 'boolean', default: false },
  revision: { type: 'string' },
  endpoint: { type: 'string' },
  proxy: { type: 'string' },
  force: { type: 'boolean', default: false },
  'max-batch': { type: 'string' },
  'batch-window': { type: 'string' },
  'max-body': { type: 'string' },
  'max-texts': { type: 'string' },
  'max-chars': { type: 'string' },
} as const

export interface ParsedArgs {
  command: string[]
  dataDir: string | undefined
  json: boolean
  backend: string | undefined
  help: boolean
  labels: string | undefined
  scheme: string | undefined
  description: string | undefined
  yes: boolean
  host: string | undefined
  port: number | undefined
  token: string | undefined
  users: Record<string, string>
  format: string | undefined
  encoding: string | undefined
  split: string | undefined
  tagColumn: number | undefined
  separator: string | undefined
  weibo: boolean
  invalidTags: string | undefined
  addLabels: boolean
  dryRun: boolean
  out: string | undefined
  ratios: [number, number, number] | undefined
  seed: number | undefined
  stratify: boolean
  onlyUnassigned: boolean
  config: string | undefined
  model: string | undefined
  scratch: boolean
  name: string | undefined
  file: string | undefined
  mode: string | undefined
  in: string | undefined
  baseline: string | undefined
  robustness: boolean
  epsilons: number[] | undefined
  noise: number | undefined
  /** models import: link the folder's files instead of copying them. */
  link: boolean
  /** models download: the hub, the revision and an HTTP proxy. */
  revision: string | undefined
  endpoint: string | undefined
  proxy: string | undefined
  /** export: write into a folder that is not empty. */
  force: boolean
  /** serve-model limits (checked by the command). */
  maxBatch: number | undefined
  batchWindow: number | undefined
  maxBody: number | undefined
  maxTexts: number | undefined
  maxChars: number | undefined
}

function integer(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n)) throw new UsageError(`${flag} must be a whole number, not "${v}"`)
  return n
}

function fraction(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!(n >= 0 && n <= 0.5)) throw new UsageError(`${flag} is a per-character probability from 0 to 0.5 (not "${v}")`)
  return n
}

function users(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of list ?? []) {
    const m = /^([^=\s][^=]*)=(.{16,})$/.exec(item)
    if (!m) throw new UsageError(`--user takes NAME=TOKEN with a token of at least 16 characters (not "${item}")`)
    const [, name, tok] = m as unknown as [string, string, string]
    if (Object.values(out).includes(tok)) throw new UsageError(`two --user entries share a token`)
    out[name.trim()] = tok
  }
  return out
}

function ratios(v: string | undefined): [number, number, number] | undefined {
  if (v === undefined) return undefined
  const parts = v.split(',').map((x) => Number(x.trim()))
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x) || x < 0)) throw new UsageError(`--ratios takes three non-negative numbers for train,dev,test such as 0.8,0.1,0.1 (not "${v}")`)
  return parts as [number, number, number]
}

export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const v = parsed.values
  let port: number | undefined
  if (v.port !== undefined) {
    port = Number(v.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not "${v.port}"`)
  }
  return {
    command: parsed.positionals,
    dataDir: v['data-dir'],
    json: v.json ?? false,
    backend: v.backend,
    help: v.help ?? false,
    labels: v.labels,
    scheme: v.scheme,
    description: v.description,
    yes: v.yes ?? false,
    host: v.host,
    port,
    token: v.token,
    users: users(v.user),
    format: v.format,
    encoding: v.encoding,
    split: v.split,
    tagColumn: integer('--tag-column', v['tag-column']),
    separator: v.separator,
    weibo: v.weibo ?? false,
    invalidTags: v['invalid-tags'],
    addLabels: v['add-labels'] ?? false,
    dryRun: v['dry-run'] ?? false,
    out: v.out,
    ratios: ratios(v.ratios),
    seed: integer('--seed', v.seed),
    stratify: !(v['no-stratify'] ?? false),
    onlyUnassigned: v['only-unassigned'] ?? false,
    config: v.config,
    model: v.model,
    scratch: v.scratch ?? false,
    name: v.name,
    file: v.file,
    mode: v.mode,
    in: v.in,
    baseline: v.baseline,
    robustness: v.robustness ?? false,
    epsilons:
      v.epsilon === undefined
        ? undefined
        : v.epsilon.split(',').map((x) => {
            const n = Number(x.trim())
            if (!(n > 0)) throw new UsageError(`--epsilon takes positive numbers separated by commas, such as 0.5,1 (not "${v.epsilon}")`)
            return n
          }),
    noise: fraction('--noise', v.noise),
    link: v.link ?? false,
    revision: v.revision,
    endpoint: v.endpoint,
    proxy: v.proxy,
    force: v.force ?? false,
    maxBatch: integer('--max-batch', v['max-batch']),
    batchWindow: integer('--batch-window', v['batch-window']),
    maxBody: integer('--max-body', v['max-body']),
    maxTexts: integer('--max-texts', v['max-texts']),
    maxChars: integer('--max-chars', v['max-chars']),
  }
}

/** "PER, ORG,,LOC" -> ["PER", "ORG", "LOC"] (validation of each name happens at the contract). */
export function splitLabels(list: string | undefined): string[] {
  return (list ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)
}
