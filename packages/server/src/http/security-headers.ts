import type { Context } from 'hono'

/**
 * Headers of every HTML page: no framing (clickjacking on login/consent: X-Frame-Options and CSP
 * frame-ancestors), no scripts at all, nothing cached. `form-action` must also allow the
 * client's redirect target: browsers check it on the redirects that follow a form post.
 * Referrer-Policy same-origin keeps the Origin header on our own form posts (no-referrer would
 * turn it into "null") while sending nothing to other sites.
 */
export function setPageHeaders(c: Context, formTargets: string[] = []): void {
  const formAction = ["'self'", ...formTargets].join(' ')
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; ` +
      "frame-ancestors 'none'; base-uri 'none'",
  )
  c.header('X-Frame-Options', 'DENY')
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('Referrer-Policy', 'same-origin')
  c.header('Cache-Control', 'no-store')
}

/** The CSP source for where a redirect URI lives: its origin, or its private-use scheme. */
export function cspSourceOf(redirectUri: string): string {
  const url = new URL(redirectUri)
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    // A loopback redirect may use any port (RFC 8252 7.3).
    if (url.hostname === '127.0.0.1' || url.hostname === '[::1]')
      return `${url.protocol}//${url.hostname}:*`
    return url.origin
  }
  return url.protocol
}
