import { tokenKey } from '../crypto/hash.ts'
import type { AccessTokenState, Store, UserRecord } from '../storage/store.ts'
import { InsufficientScope, InvalidRequest, InvalidToken } from './errors.ts'

/** RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

export class MissingToken extends Error {}

/**
 * Reads the bearer token of a protected resource request (RFC 6750 2.1; tokens in the query are
 * not accepted, OAuth 2.1 5.2). No Authorization header at all is MissingToken: RFC 6750 3.1 says
 * the answer then carries no error code.
 */
export function readBearer(authorization: string | undefined): string {
  if (authorization === undefined) throw new MissingToken()
  const m = BEARER.exec(authorization)
  if (!m) {
    if (/^bearer(\s|$)/i.test(authorization)) throw new InvalidRequest('malformed bearer token')
    throw new MissingToken()
  }
  return m[1]!
}

/**
 * Validates an access token of Pixie's own APIs by its stored hash: known, unexpired, its grant
 * not revoked, issued for `audience` (RFC 8707: a token for another resource server is not good
 * here, RFC 9068 4), with the scope. Returns the token with its user, read in the same query.
 */
export async function checkAccessToken(
  store: Store,
  token: string,
  requiredScope: string,
  now: number,
  audience: string,
): Promise<{ record: AccessTokenState; user: UserRecord | null }> {
  const found = await store.getAccessTokenWithUser(tokenKey(token))
  if (!found) throw new InvalidToken('the access token is invalid')
  const record = found.token
  if (record.grantRevokedAt !== null) throw new InvalidToken('the access token was revoked')
  if (record.expiresAt <= now) throw new InvalidToken('the access token expired')
  const forUs =
    record.audience === null ? jwtHasAudience(token, audience) : record.audience.includes(audience)
  if (!forUs) throw new InvalidToken('the access token is for another audience')
  if (!record.scope.includes(requiredScope)) {
    throw new InsufficientScope(`the access token lacks the ${requiredScope} scope`, requiredScope)
  }
  return { record, user: found.user }
}

/**
 * For tokens stored before their audience was (migration 0004): whether a JWT names `audience`;
 * true for opaque tokens, which were not bound to one. The hash matched a token Pixie minted, so
 * its payload is read without checking the signature again.
 */
function jwtHasAudience(token: string, audience: string): boolean {
  const dot = token.indexOf('.')
  if (dot < 0) return true
  try {
    const payload = JSON.parse(
      Buffer.from(token.slice(dot + 1, token.indexOf('.', dot + 1)), 'base64url').toString(),
    ) as { aud?: unknown }
    return [payload.aud].flat().includes(audience)
  } catch {
    return false
  }
}
