/** Who may talk to the browser host: loopback binding, access tokens, same-origin checks. Pure. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h)
}

export function generateToken(): string {
  return randomBytes(24).toString('base64url')
}

export function tokensEqual(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false
  // Compare digests: equal lengths whatever was given, so the time says nothing, not even the token's length.
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b) && given === expected
}

/**
 * A browser always sends Origin with a WebSocket handshake; it must name the page's own host,
 * so another site open in the user's browser cannot drive Tagtune (cross-site WebSocket hijacking).
 * Clients that are not browsers send no Origin and are judged by the token alone.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true
  if (!hostHeader) return false
  try {
    const u = new URL(origin)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host.toLowerCase() === hostHeader.toLowerCase()
  } catch {
    return false
  }
}

/**
 * When bound to loopback without a token, the Host header must still be a loopback name:
 * that stops DNS-rebinding pages from reaching the host through a name they control.
 */
export function hostHeaderAllowed(hostHeader: string | undefined, bindIsLoopback: boolean, tokenRequired: boolean): boolean {
  if (tokenRequired || !bindIsLoopback) return true
  if (!hostHeader) return false
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!
  return isLoopbackHost(name)
}
