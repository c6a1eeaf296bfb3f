import { InvalidAuthorizationTarget } from './errors.ts'

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]'])

/**
 * Registered redirect URIs must be absolute, without fragment (RFC 6749 3.1.2), and use https
 * except on loopback / localhost (OAuth 2.1 2.3.1) or a private-use scheme of a native app
 * (RFC 8252 7.1).
 * Returns an error message, or null when the URI may be registered.
 */
export function redirectUriProblem(uri: string): string | null {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return 'must be an absolute URI'
  }
  if (url.hash !== '' || uri.includes('#')) return 'must not contain a fragment'
  if (url.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname) && url.hostname !== 'localhost') {
      return 'http is allowed only for loopback (127.0.0.1, [::1]) and localhost'
    }
  } else if (
    url.protocol !== 'https:' &&
    !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)
  ) {
    // RFC 8252 7.1: private-use schemes are reverse domain names, e.g. com.example.app:/cb
    return 'must use https, http on loopback, or a reverse-domain private-use scheme'
  }
  return null
}

/**
 * Exact string comparison against the registered list (OAuth 2.1 4.1.1, RFC 9700 2.1), except
 * that for an http loopback IP literal the port may vary (RFC 8252 7.3).
 */
export function matchRedirectUri(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true
  const loose = loopbackWithoutPort(requested)
  if (loose === null) return false
  return registered.some((r) => loopbackWithoutPort(r) === loose)
}

function loopbackWithoutPort(uri: string): string | null {
  if (!uri.startsWith('http://127.0.0.1') && !uri.startsWith('http://[::1]')) return null
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return null
  }
  if (!LOOPBACK_HOSTS.has(url.hostname) || url.username || url.password || url.hash) return null
  // Only the port may differ: rebuild the URI from its parts and require that this is exactly
  // the string we were given, so no normalisation (case, dot segments, escapes) can sneak in.
  const rebuilt = `http://${url.hostname}${url.port ? ':' + url.port : ''}${url.pathname}${url.search}`
  if (rebuilt !== uri) return null
  return `http://${url.hostname}${url.pathname}${url.search}`
}

/** RFC 6749 3.1.2.2 / OAuth 2.1: the request must name the redirect URI (we always require it). */
export function checkRedirectUri(
  requested: string | undefined,
  registered: readonly string[],
): string {
  if (requested === undefined) {
    throw new InvalidAuthorizationTarget('redirect_uri is required')
  }
  if (!matchRedirectUri(requested, registered)) {
    throw new InvalidAuthorizationTarget('redirect_uri does not match a registered redirect URI')
  }
  return requested
}

/** The web origin (scheme://host:port) of a redirect URI, or null for non-web schemes. */
export function originOf(uri: string): string | null {
  try {
    const url = new URL(uri)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
    return url.origin
  } catch {
    return null
  }
}
