import { describe, expect, it } from 'vitest'
import { defaultDataDir, resolveDataDir } from '../../../src-main/config/data-dir'

describe('data dir', () => {
  it('prefers --data-dir, then TAGTUNE_HOME, then the desktop default, then the platform default', () => {
    const env = { TAGTUNE_HOME: '/env/home' }
    expect(resolveDataDir({ flag: '/flag', env, platformDefault: '/electron' })).toBe('/flag')
    expect(resolveDataDir({ env, platformDefault: '/electron' })).toBe('/env/home')
    expect(resolveDataDir({ env: {}, platformDefault: '/electron' })).toBe('/electron')
    expect(resolveDataDir({ env: {}, platform: 'linux', home: '/home/ana' })).toBe('/home/ana/.local/share/tagtune')
  })

  it('follows XDG on Linux and the usual folders elsewhere', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/ana')).toBe('/xdg/tagtune')
    expect(defaultDataDir({}, 'darwin', '/Users/ana')).toBe('/Users/ana/Library/Application Support/Tagtune')
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\ana\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ana')).toContain('Tagtune')
  })
})
