/**
 * The thin Electron shell: one window (contextIsolation, sandbox, no Node, strict CSP), the
 * host from createHost, and one IPC handler that checks every sender. Everything else is the
 * same plain-Node host the browser mode and the CLI use.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createHost, type Host } from '../host/create-host'
import { resolveDataDir } from '../config/data-dir'
import { CONTENT_SECURITY_POLICY } from '../host/static-files'
import { IPC_EVENT, IPC_INVOKE } from './channels'
import { senderAllowed } from './sender'
import { utilityTrainer } from './trainer'

const here = import.meta.dirname
const rendererUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(here, '../renderer/index.html')).href

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  if (i >= 0) return process.argv[i + 1]
  const eq = process.argv.find((a) => a.startsWith(`${name}=`))
  return eq?.slice(name.length + 1)
}

/**
 * In a checkout, better-sqlite3 in node_modules is built for Node (tests, CLI, serve); the
 * desktop app uses a second build for Electron's ABI kept in native/ (npm run rebuild:electron).
 * A packaged app has its own build, made by electron-builder.
 */
function nativeBinding(): string | undefined {
  if (app.isPackaged) return undefined
  const file = join(app.getAppPath(), 'native', `electron-${process.versions.electron}-${process.platform}-${process.arch}`, 'better_sqlite3.node')
  if (!existsSync(file)) {
    throw new Error(`The Electron build of better-sqlite3 is missing (${file}). Run: npm run rebuild:electron`)
  }
  return file
}

let host: Host | undefined

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Tagtune',
    show: false,
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  win.once('ready-to-show', () => win.show())
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith(rendererUrl.split('#')[0]!)) e.preventDefault()
  })
  void win.loadURL(rendererUrl)
  return win
}

async function start(): Promise<void> {
  await app.whenReady()
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false))
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })
  try {
    const binding = nativeBinding()
    host = createHost({
      dataDir: resolveDataDir({ flag: flag('--data-dir'), platformDefault: app.getPath('userData') }),
      kind: 'electron',
      warmBackend: true,
      spawnTrainer: utilityTrainer(here),
      runtime: `Electron ${process.versions.electron}`,
      dialogs: {
        async savePath(defaultName, folder) {
          const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
          if (folder) {
            const r = await dialog.showOpenDialog(win!, { title: 'Export to folder', properties: ['openDirectory', 'createDirectory'] })
            return r.canceled ? null : (r.filePaths[0] ?? null)
          }
          const r = await dialog.showSaveDialog(win!, { title: 'Export', defaultPath: defaultName })
          return r.canceled ? null : (r.filePath ?? null)
        },
      },
      resourcesDir: app.isPackaged ? join(process.resourcesPath, 'resources') : join(app.getAppPath(), 'resources'),
      ...(binding ? { nativeBinding: binding } : {}),
    })
  } catch (err) {
    dialog.showErrorBox('Tagtune cannot open its data', (err as Error).message)
    app.exit(1)
    return
  }
  const h = host
  ipcMain.handle(IPC_INVOKE, (event, channel: unknown, input: unknown) => {
    const frame = event.senderFrame
    if (!frame || !senderAllowed({ url: frame.url, isMainFrame: frame.parent === null }, rendererUrl)) {
      return { ok: false, error: { code: 'FORBIDDEN', message: 'Refused: the message did not come from Tagtune’s own window.' } }
    }
    return h.invoke(String(channel), input, { local: true })
  })
  h.onEvent((name, payload) => {
    for (const w of BrowserWindow.getAllWindows()) if (!w.isDestroyed()) w.webContents.send(IPC_EVENT, name, payload)
  })
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
app.on('will-quit', () => host?.close())

void start()
