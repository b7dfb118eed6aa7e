/** Which frames may call the host: our own page, top frame only. Pure, so it is unit-tested. */
export interface SenderFacts {
  /** URL of the frame that sent the message. */
  url: string
  /** True when the frame is the window's top frame. */
  isMainFrame: boolean
}

export function senderAllowed(s: SenderFacts, rendererUrl: string): boolean {
  if (!s.isMainFrame) return false
  let sent: URL
  let ours: URL
  try {
    sent = new URL(s.url)
    ours = new URL(rendererUrl)
  } catch {
    return false
  }
  if (ours.protocol === 'file:') return sent.protocol === 'file:' && sent.pathname === ours.pathname
  return sent.origin === ours.origin
}
