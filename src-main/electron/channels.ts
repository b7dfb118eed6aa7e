/** The two Electron IPC channel names that carry the whole contract. Shared by main and preload. */
export const IPC_INVOKE = 'tagtune:invoke'
export const IPC_EVENT = 'tagtune:event'
