/** App-wide state: host info (version, data dir, compute backend) and the connection. */
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo } from '@shared/ipc/contract'
import { useApi } from '../api/client'
import type { ConnectionState } from '../api/transport'

export const useAppStore = defineStore('app', () => {
  const api = useApi()
  const info = ref<AppInfo | null>(null)
  const connection = ref<ConnectionState>('connecting')
  const connectionDetail = ref<string | undefined>()
  const error = ref<string | null>(null)

  api.onState((s, detail) => {
    const wasDown = connection.value !== 'open'
    connection.value = s
    connectionDetail.value = detail
    if (s === 'open' && wasDown && info.value) void loadInfo()
  })

  async function loadInfo(): Promise<void> {
    try {
      info.value = await api.invoke('app.info', {})
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  return { info, connection, connectionDetail, error, loadInfo, transport: api.transport }
})
