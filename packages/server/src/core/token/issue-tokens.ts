import { hashToken, randomToken } from '../../crypto/hash.ts'
import type { ClientRecord, GrantRecord, Store } from '../../storage/store.ts'
import { formatScope } from '../scope.ts'

export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
  refresh_token?: string
}

export interface TokenLifetimes {
  accessTokenTtl: number
  refreshTokenTtl: number
}

/**
 * Mints an access token (and a refresh token when the client may refresh) for a grant, stores
 * their hashes together, and builds the RFC 6749 5.1 response. A refresh token never outlives its
 * family (grant.expiresAt).
 */
export async function issueTokens(
  store: Store,
  client: ClientRecord,
  grant: GrantRecord,
  scopes: string[],
  lifetimes: TokenLifetimes,
  now: number,
  /** The refresh token's scope, when it differs from the access token's (RFC 6749 6). */
  refreshScopes: string[] = scopes,
): Promise<TokenResponse> {
  const accessToken = randomToken()
  const refreshToken = client.grantTypes.includes('refresh_token') ? randomToken() : null
  const accessExpiresAt = now + lifetimes.accessTokenTtl
  await store.saveTokens(
    {
      tokenHash: hashToken(accessToken),
      grantId: grant.id,
      clientId: client.clientId,
      userId: grant.userId,
      scope: scopes,
      expiresAt: accessExpiresAt,
    },
    refreshToken === null
      ? null
      : {
          tokenHash: hashToken(refreshToken),
          grantId: grant.id,
          clientId: client.clientId,
          scope: refreshScopes,
          createdAt: now,
          expiresAt: Math.min(now + lifetimes.refreshTokenTtl, grant.expiresAt),
          rotatedAt: null,
        },
  )
  const response: TokenResponse = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: lifetimes.accessTokenTtl,
    scope: formatScope(scopes),
  }
  if (refreshToken !== null) response.refresh_token = refreshToken
  return response
}
