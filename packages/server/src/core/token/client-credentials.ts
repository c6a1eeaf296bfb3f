import { hashToken, randomToken, timeOrderedId } from '../../crypto/hash.ts'
import type { ClientRecord, Store } from '../../storage/store.ts'
import { InvalidScope, UnauthorizedClient } from '../errors.ts'
import type { Params } from '../params.ts'
import { checkRequestedScope } from '../scope.ts'
import { issueTokens, type TokenPolicy, type TokenResponse } from './issue-tokens.ts'

/**
 * grant_type=client_credentials (RFC 6749 4.4, OAuth 2.1 4.2): a confidential client acting on
 * its own behalf. The grant has no user, no code and no refresh token (RFC 6749 4.4.3).
 */
export async function clientCredentialsGrant(
  store: Store,
  client: ClientRecord,
  params: Params,
  resources: string[] | null,
  policy: TokenPolicy,
  supportedScopes: readonly string[],
  now: number,
): Promise<TokenResponse> {
  // RFC 6749 4.4: the client MUST authenticate; a public client cannot.
  if (
    client.tokenEndpointAuthMethod === 'none' ||
    !client.grantTypes.includes('client_credentials')
  ) {
    throw new UnauthorizedClient('client is not allowed the client_credentials grant')
  }
  const scopes = checkRequestedScope(params.scope, client.scope, supportedScopes)
  // OIDC scopes describe a user; there is none here.
  if (scopes.includes('openid')) throw new InvalidScope('openid needs a user: use the code flow')
  const grant = {
    id: timeOrderedId(),
    clientId: client.clientId,
    userId: null,
    scope: scopes,
    redirectUri: '',
    codeChallenge: null,
    // The row needs a unique code hash; this one belongs to no code ever handed out.
    codeHash: hashToken(randomToken()),
    codeExpiresAt: now,
    codeUsedAt: now,
    authTime: now,
    createdAt: now,
    expiresAt: now + policy.accessTokenTtl,
    revokedAt: null,
    nonce: null,
    resource: resources,
  }
  await store.createGrant(grant)
  return issueTokens(store, client, grant, scopes, policy, now, {
    resource: resources,
    refresh: false,
  })
}
