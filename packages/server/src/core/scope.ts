import { InvalidScope } from './errors.ts'

/** RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces. */
const SCOPE_GRAMMAR = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/

export function parseScope(scope: string): string[] {
  if (!SCOPE_GRAMMAR.test(scope)) throw new InvalidScope('scope is malformed (RFC 6749 3.3)')
  return [...new Set(scope.split(' '))]
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ')
}

/**
 * The scopes of an authorization request: what was asked for, or the client's registered scope
 * when nothing was (RFC 6749 3.3 lets the server apply a documented default); every requested
 * scope must be one the server supports and the client is registered for.
 */
export function checkRequestedScope(
  requested: string | undefined,
  clientScope: readonly string[],
  supported: readonly string[],
): string[] {
  const scopes = requested === undefined ? [...clientScope] : parseScope(requested)
  for (const s of scopes) {
    if (!supported.includes(s)) throw new InvalidScope(`unknown scope: ${s}`)
    if (!clientScope.includes(s)) throw new InvalidScope(`scope not allowed for this client: ${s}`)
  }
  if (scopes.length === 0) throw new InvalidScope('no scope requested')
  return scopes
}

/** RFC 6749 6: a refresh may narrow the scope, never widen it. */
export function checkNarrowedScope(
  requested: string | undefined,
  granted: readonly string[],
): string[] {
  if (requested === undefined) return [...granted]
  const scopes = parseScope(requested)
  for (const s of scopes) {
    if (!granted.includes(s)) throw new InvalidScope(`scope exceeds the original grant: ${s}`)
  }
  return scopes
}

export function includesAll(granted: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((s) => granted.includes(s))
}
