import { timeOrderedId, timeOrderedToken, tokenKey } from '../../crypto/hash.ts'
import type { Store } from '../../storage/store.ts'
import type { AuthorizationRequest } from './request.ts'

export interface CodeLifetimes {
  codeTtl: number
  refreshTokenTtl: number
}

/**
 * Issues an authorization code: 256 random bits, stored only as a hash, valid for `codeTtl`
 * seconds (RFC 6749 4.1.2 recommends at most 10 minutes), bound to the client, redirect URI,
 * PKCE challenge, user and scopes. The grant it creates is the family of every token it leads to.
 */
export async function issueCode(
  store: Store,
  request: AuthorizationRequest,
  user: { id: string; authTime: number },
  lifetimes: CodeLifetimes,
  now: number,
): Promise<string> {
  const code = timeOrderedToken()
  await store.createGrant({
    id: timeOrderedId(),
    clientId: request.client.clientId,
    userId: user.id,
    scope: request.scopes,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    codeHash: tokenKey(code),
    codeExpiresAt: now + lifetimes.codeTtl,
    codeUsedAt: null,
    authTime: user.authTime,
    createdAt: now,
    expiresAt: now + lifetimes.refreshTokenTtl,
    revokedAt: null,
    nonce: request.nonce,
    resource: request.resource,
  })
  return code
}
