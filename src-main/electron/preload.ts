/**
 * The only bridge between the sandboxed renderer and main: invoke(channel, input) and
 * on(event, cb) -> unsubscribe, plus the path of a file the user picked (the desktop app imports
 * files where they are instead of uploading them). Nothing else of Node or Electron reaches the page.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import { IPC_EVENT, IPC_INVOKE } from './channels'

contextBridge.exposeInMainWorld('tagtune', {
  invoke: (channel: string, input: unknown): Promise<unknown> => ipcRenderer.invoke(IPC_INVOKE, String(channel), input),
  on: (event: string, cb: (payload: unknown) => void): (() => void) => {
    const listener = (_e: IpcRendererEvent, name: unknown, payload: unknown): void => {
      if (name === event) cb(payload)
    }
    ipcRenderer.on(IPC_EVENT, listener)
    return () => {
      ipcRenderer.off(IPC_EVENT, listener)
    }
  },
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
})
