import { InvalidTarget } from './errors.ts'

/**
 * RFC 8707 2: each resource indicator MUST be an absolute URI and MUST NOT include a fragment.
 * Several may be sent; they become the access token's audiences.
 */
export function parseResources(values: readonly string[]): string[] | null {
  if (values.length === 0) return null
  if (values.length > 10) throw new InvalidTarget('too many resource indicators')
  for (const v of values) {
    let url: URL
    try {
      url = new URL(v)
    } catch {
      throw new InvalidTarget('resource must be an absolute URI (RFC 8707 2)')
    }
    if (v.includes('#') || url.hash) throw new InvalidTarget('resource must not have a fragment')
    if (v.length > 2000) throw new InvalidTarget('resource is too long')
  }
  return [...new Set(values)]
}

/**
 * RFC 8707 2.2: at the token endpoint the client may name resources again, but only among those
 * the grant was authorized for (when the authorization request named any).
 */
export function checkTokenResources(
  requested: string[] | null,
  granted: string[] | null,
): string[] | null {
  if (requested === null) return granted
  if (granted !== null) {
    for (const r of requested) {
      if (!granted.includes(r)) throw new InvalidTarget(`resource was not authorized: ${r}`)
    }
  }
  return requested
}
