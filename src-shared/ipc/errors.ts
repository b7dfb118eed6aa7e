/** The typed error every channel answers with instead of throwing across a process boundary. */
import { z } from 'zod'

export const ERROR_CODES = [
  'INVALID_INPUT', // the payload does not match the channel's schema; nothing was changed
  'INVALID_FILE', // a file to import has problems (details: the import report); nothing was imported
  'UNKNOWN_CHANNEL',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CONFLICT', // an optimistic version check failed: someone else changed it first
  'UNAUTHORIZED',
  'FORBIDDEN',
  'DATABASE_TOO_NEW',
  'UNAVAILABLE',
  'FAILED', // a long job (training, evaluation) failed; the message says why
  'INTERNAL',
] as const
export const ErrorCode = z.enum(ERROR_CODES)
export type ErrorCode = z.infer<typeof ErrorCode>

export const IssueDetail = z.object({ path: z.string(), message: z.string() })
export type IssueDetail = z.infer<typeof IssueDetail>

export const AppErrorShape = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
})
export type AppErrorShape = z.infer<typeof AppErrorShape>

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorShape }

/** Thrown inside the host; turned into `{ ok: false, error }` at the boundary. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
  }

  toShape(): AppErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

/** Turn zod issues into `{ path, message }` pairs a user can read ("labels.2.name: label name is empty"). */
export function issuesToDetails(issues: readonly { path: readonly PropertyKey[]; message: string }[]): IssueDetail[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))
}

export function describeIssues(details: readonly IssueDetail[], max = 3): string {
  const shown = details.slice(0, max).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message))
  const more = details.length > max ? ` (and ${details.length - max} more)` : ''
  return shown.join('; ') + more
}
