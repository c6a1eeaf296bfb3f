import { hashToken } from '../crypto/hash.ts'
import type { AccessTokenRecord, Store } from '../storage/store.ts'
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
 * not revoked, with the scope. A JWT must also name `audience` (RFC 8707: a token issued for
 * another resource server is not good here, RFC 9068 4).
 */
export async function checkAccessToken(
  store: Store,
  token: string,
  requiredScope: string,
  now: number,
  audience?: string,
): Promise<AccessTokenRecord> {
  const record = await store.getAccessToken(hashToken(token))
  if (!record) throw new InvalidToken('the access token is invalid')
  if (record.grantRevokedAt !== null) throw new InvalidToken('the access token was revoked')
  if (record.expiresAt <= now) throw new InvalidToken('the access token expired')
  if (audience !== undefined && !jwtHasAudience(token, audience)) {
    throw new InvalidToken('the access token is for another audience')
  }
  if (!record.scope.includes(requiredScope)) {
    throw new InsufficientScope(`the access token lacks the ${requiredScope} scope`, requiredScope)
  }
  return record
}

/**
 * Whether a JWT access token names `audience`; true for opaque tokens. The hash matched a token
 * Pixie minted, so its payload is read without checking the signature again.
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
