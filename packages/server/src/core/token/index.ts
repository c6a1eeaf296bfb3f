import type { ClientRecord, Store } from '../../storage/store.ts'
import { UnauthorizedClient, UnsupportedGrantType, InvalidRequest } from '../errors.ts'
import { readUniqueParams } from '../params.ts'
import { parseResources } from '../resource.ts'
import { exchangeAuthorizationCode } from './authorization-code.ts'
import { clientCredentialsGrant } from './client-credentials.ts'
import { authenticateClient } from './client-auth.ts'
import { exchangeRefreshToken, type RefreshPolicy } from './refresh-token.ts'
import type { TokenResponse } from './issue-tokens.ts'

export type { TokenResponse } from './issue-tokens.ts'

/**
 * The token endpoint's rules, top to bottom: strict parameters, client authentication, then the
 * grant type's own checks (RFC 6749 3.2, 4.1.3, 4.4, 6; OAuth 2.1 3.2).
 */
export async function tokenRequest(
  store: Store,
  body: URLSearchParams,
  authorization: string | undefined,
  policy: RefreshPolicy,
  supportedScopes: readonly string[],
  now: number,
  getClient: (id: string) => Promise<ClientRecord | undefined> = (id) => store.getClient(id),
): Promise<TokenResponse> {
  // RFC 6749 3.2: no parameter more than once, except RFC 8707 2 resource indicators.
  const params = readUniqueParams(body, ['resource'])
  const grantType = params.grant_type
  if (grantType === undefined) throw new InvalidRequest('grant_type is required')
  const client = await authenticateClient(authorization, params, getClient)
  const resources = parseResources(body.getAll('resource').filter((r) => r !== ''))
  switch (grantType) {
    case 'authorization_code':
      if (!client.grantTypes.includes('authorization_code')) {
        throw new UnauthorizedClient('client is not allowed the authorization_code grant')
      }
      return exchangeAuthorizationCode(store, client, params, resources, policy, now)
    case 'refresh_token':
      return exchangeRefreshToken(store, client, params, resources, policy, now)
    case 'client_credentials':
      return clientCredentialsGrant(store, client, params, resources, policy, supportedScopes, now)
    default:
      throw new UnsupportedGrantType(`unsupported grant_type: ${grantType}`)
  }
}
