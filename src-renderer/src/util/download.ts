/** Saving a file the app made (CSV, a report): a download in the browser, the save dialog in the desktop app. */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}

/** A file name from free text: letters, digits, dot, dash and underscore. */
export function safeFileName(s: string): string {
  return s.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^_+|_+$/g, '') || 'tagtune'
}
