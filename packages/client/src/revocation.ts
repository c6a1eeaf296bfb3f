import { expectOk, postForm, type FetchLike } from './http.ts'

/**
 * Which kind of token is being revoked, as a hint to the server.
 *
 * @example
 * ```ts
 * const hint: TokenTypeHint = 'refresh_token'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export type TokenTypeHint = 'access_token' | 'refresh_token'

/**
 * Revokes a token: POSTs `token`, `token_type_hint` and `client_id` to the revocation
 * endpoint. Succeeds on 200 (also for tokens the server no longer knows, RFC 7009 section
 * 2.2); throws `revocation_error` with the server's error otherwise.
 *
 * @example
 * ```ts
 * await revokeToken(fetch, server.revocation_endpoint, 'demo', tokens.refreshToken, 'refresh_token')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export async function revokeToken(
  fetchImpl: FetchLike,
  revocationEndpoint: string,
  clientId: string,
  token: string,
  hint?: TokenTypeHint,
): Promise<void> {
  const params: Record<string, string> = { token, client_id: clientId }
  if (hint) params.token_type_hint = hint
  await expectOk(await postForm(fetchImpl, revocationEndpoint, params), 'revocation_error')
}
