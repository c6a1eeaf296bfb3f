import type { ClientRecord, Store } from '../../storage/store.ts'
import { UnauthorizedClient, UnsupportedGrantType, InvalidRequest } from '../errors.ts'
import { readUniqueParams } from '../params.ts'
import { exchangeAuthorizationCode } from './authorization-code.ts'
import { authenticateClient } from './client-auth.ts'
import { exchangeRefreshToken, type RefreshPolicy } from './refresh-token.ts'
import type { TokenResponse } from './issue-tokens.ts'

export type { TokenResponse } from './issue-tokens.ts'

/**
 * The token endpoint's rules, top to bottom: strict parameters, client authentication, then the
 * grant type's own checks (RFC 6749 3.2, 4.1.3, 6; OAuth 2.1 3.2).
 */
export async function tokenRequest(
  store: Store,
  body: URLSearchParams,
  authorization: string | undefined,
  policy: RefreshPolicy,
  now: number,
  getClient: (id: string) => Promise<ClientRecord | undefined> = (id) => store.getClient(id),
): Promise<TokenResponse> {
  const params = readUniqueParams(body) // RFC 6749 3.2: no parameter more than once
  const grantType = params.grant_type
  if (grantType === undefined) throw new InvalidRequest('grant_type is required')
  const client = await authenticateClient(authorization, params, getClient)
  switch (grantType) {
    case 'authorization_code':
      if (!client.grantTypes.includes('authorization_code')) {
        throw new UnauthorizedClient('client is not allowed the authorization_code grant')
      }
      return exchangeAuthorizationCode(store, client, params, policy, now)
    case 'refresh_token':
      return exchangeRefreshToken(store, client, params, policy, now)
    default:
      throw new UnsupportedGrantType(`unsupported grant_type: ${grantType}`)
  }
}
