/** A list the stores load from the host: its items, whether it has loaded or is loading, and the last load's error. */
import { ref, type Ref } from 'vue'

export function useListed<T>(fetch: () => Promise<T[]>) {
  const items = ref([]) as Ref<T[]>
  const loaded = ref(false)
  const loading = ref(false)
  const loadError = ref<string | null>(null)

  async function load(): Promise<void> {
    loading.value = true
    try {
      items.value = await fetch()
      loadError.value = null
      loaded.value = true
    } catch (err) {
      loadError.value = (err as Error).message
    } finally {
      loading.value = false
    }
  }

  return { items, loaded, loading, loadError, load }
}
