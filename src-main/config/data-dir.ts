/** Where Tagtune keeps its data: --data-dir, then TAGTUNE_HOME, then the platform's default. */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export interface DataDirSources {
  flag?: string | undefined
  env?: NodeJS.ProcessEnv
  /** The desktop app passes Electron's userData dir here. */
  platformDefault?: string | undefined
  platform?: NodeJS.Platform
  home?: string
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Tagtune')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Tagtune')
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'tagtune')
}

export function resolveDataDir(src: DataDirSources = {}): string {
  const env = src.env ?? process.env
  const chosen = src.flag || env.TAGTUNE_HOME || src.platformDefault || defaultDataDir(env, src.platform, src.home)
  return resolve(chosen)
}
