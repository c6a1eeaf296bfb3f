import { tokenKey } from '../crypto/hash.ts'
import type { ClientRecord, Store } from '../storage/store.ts'
import { InvalidRequest, UnsupportedTokenType } from './errors.ts'
import type { Params } from './params.ts'

/**
 * Token revocation (RFC 7009 2.1). The client has been authenticated already.
 * - A refresh token revokes its whole grant: every access and refresh token of that family.
 * - An access token is deleted; `/v1/me` refuses it at once.
 * - An unknown or already invalid token is answered 200 too (RFC 7009 2.2).
 * - A token of another client is refused.
 */
export async function revokeToken(
  store: Store,
  client: ClientRecord,
  params: Params,
  now: number,
): Promise<void> {
  const { token, token_type_hint: hint } = params
  if (token === undefined) throw new InvalidRequest('token is required')
  if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') {
    // RFC 7009 2.2.1
    throw new UnsupportedTokenType(`unsupported token_type_hint: ${hint}`)
  }
  const hash = tokenKey(token)
  // The hint only orders the look-ups (RFC 7009 2.1).
  const order = hint === 'access_token' ? ['access', 'refresh'] : ['refresh', 'access']
  for (const kind of order) {
    if (kind === 'refresh') {
      const refresh = await store.getRefreshToken(hash)
      if (!refresh) continue
      if (refresh.clientId !== client.clientId) throw notYours()
      await store.revokeGrant(refresh.grantId, now)
      return
    }
    const access = await store.getAccessToken(hash)
    if (!access) continue
    if (access.clientId !== client.clientId) throw notYours()
    await store.deleteAccessToken(hash)
    return
  }
}

function notYours(): InvalidRequest {
  return new InvalidRequest('the token was not issued to this client')
}
