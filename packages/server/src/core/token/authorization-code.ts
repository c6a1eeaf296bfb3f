import { tokenKey } from '../../crypto/hash.ts'
import type { ClientRecord, Store } from '../../storage/store.ts'
import { InvalidGrant, InvalidRequest } from '../errors.ts'
import type { Params } from '../params.ts'
import { checkPkceVerifier } from '../pkce.ts'
import { checkTokenResources } from '../resource.ts'
import { issueTokens, type TokenPolicy, type TokenResponse } from './issue-tokens.ts'

/**
 * grant_type=authorization_code (RFC 6749 4.1.3, OAuth 2.1 4.1.3, RFC 7636 4.5).
 * The code is consumed first, atomically, whatever happens next: a code is good for one attempt.
 */
export async function exchangeAuthorizationCode(
  store: Store,
  client: ClientRecord,
  params: Params,
  resources: string[] | null,
  policy: TokenPolicy,
  now: number,
): Promise<TokenResponse> {
  const { code, redirect_uri: redirectUri, code_verifier: verifier } = params
  if (code === undefined) throw new InvalidRequest('code is required')
  // OAuth 2.1 4.1.3: redirect_uri is required when it was in the authorization request, and
  // Pixie always requires it there.
  if (redirectUri === undefined) throw new InvalidRequest('redirect_uri is required')

  const redemption = await store.redeemCode(tokenKey(code), now)
  if (redemption.status === 'not_found') throw new InvalidGrant('invalid authorization code')
  const grant = redemption.grant
  if (redemption.status === 'already_used') {
    // RFC 6749 4.1.2 / 10.5: a code used twice revokes the tokens it issued.
    await store.revokeGrant(grant.id, now)
    throw new InvalidGrant('authorization code was already used')
  }
  // RFC 6749 4.1.3: the code was issued to this client, for this redirect URI, and is unexpired.
  if (grant.clientId !== client.clientId)
    throw new InvalidGrant('code was issued to another client')
  if (grant.codeExpiresAt <= now) throw new InvalidGrant('authorization code expired')
  if (grant.redirectUri !== redirectUri) throw new InvalidGrant('redirect_uri does not match')
  if (grant.revokedAt !== null) throw new InvalidGrant('grant was revoked')
  checkPkceVerifier(verifier, grant.codeChallenge)
  const resource = checkTokenResources(resources, grant.resource)

  return issueTokens(store, client, grant, grant.scope, policy, now, {
    resource,
    // OIDC Core 3.1.3.3: an authentication request (scope openid) gets an id_token.
    idToken: grant.scope.includes('openid'),
    nonce: grant.nonce,
  })
}
