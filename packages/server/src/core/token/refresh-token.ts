import { tokenKey } from '../../crypto/hash.ts'
import type { ClientRecord, Store } from '../../storage/store.ts'
import { InvalidGrant, InvalidRequest, UnauthorizedClient } from '../errors.ts'
import type { Params } from '../params.ts'
import { checkTokenResources } from '../resource.ts'
import { checkNarrowedScope, parseScope } from '../scope.ts'
import { issueTokens, type TokenPolicy, type TokenResponse } from './issue-tokens.ts'

export interface RefreshPolicy extends TokenPolicy {
  /**
   * Seconds after a rotation during which the rotated token is still honoured once more with a
   * fresh pair: two tabs refreshing at the same instant both stay signed in. Outside the window a
   * rotated token is a replay and revokes the whole family (OAuth 2.1 4.3.1, RFC 9700 4.14.2).
   */
  reuseInterval: number
}

/** grant_type=refresh_token with rotation (RFC 6749 6, OAuth 2.1 4.3). */
export async function exchangeRefreshToken(
  store: Store,
  client: ClientRecord,
  params: Params,
  resources: string[] | null,
  policy: RefreshPolicy,
  now: number,
): Promise<TokenResponse> {
  if (!client.grantTypes.includes('refresh_token')) {
    throw new UnauthorizedClient('client is not allowed the refresh_token grant')
  }
  const { refresh_token: token, scope } = params
  if (token === undefined) throw new InvalidRequest('refresh_token is required')
  if (scope !== undefined) parseScope(scope) // malformed scope fails before the token is touched

  const rotation = await store.rotateRefreshToken(tokenKey(token), now)
  if (rotation.status === 'not_found') throw new InvalidGrant('invalid refresh token')
  const { token: record, grant } = rotation
  // RFC 6749 6 / 10.4: bound to the client it was issued to; presented by another, it leaked.
  if (record.clientId !== client.clientId) {
    await store.revokeGrant(grant.id, now)
    throw new InvalidGrant('refresh token was issued to another client')
  }
  if (grant.revokedAt !== null) throw new InvalidGrant('refresh token was revoked')
  if (rotation.status === 'already_rotated') {
    // An interval of 0 means no grace at all: with second resolution, `<= 0` would still let a
    // replay within the same second through (OAuth 2.1 4.3.1).
    const benignRace =
      policy.reuseInterval > 0 && now - (record.rotatedAt ?? 0) <= policy.reuseInterval
    if (!benignRace) {
      await store.revokeGrant(grant.id, now)
      throw new InvalidGrant('refresh token was already used; the grant is revoked')
    }
  }
  if (record.expiresAt <= now) throw new InvalidGrant('refresh token expired')

  const scopes = checkNarrowedScope(scope, record.scope)
  // RFC 6749 6: only the access token is narrowed; the new refresh token's scope MUST be
  // identical to that of the refresh token presented.
  const resource = checkTokenResources(resources, grant.resource)
  return issueTokens(store, client, grant, scopes, policy, now, {
    refreshScopes: record.scope,
    resource,
    // OIDC Core 12.2: an id_token may come with a refresh; it SHOULD NOT carry a nonce.
    idToken: scopes.includes('openid'),
  })
}
