import { send, type FetchLike } from './http.ts'
import type { TokenSet } from './token-response.ts'

/**
 * Whether a `WWW-Authenticate` header carries a Bearer challenge with
 * `error="invalid_token"`: the access token expired or was revoked, so a refresh may help.
 *
 * @example
 * ```ts
 * isInvalidTokenChallenge('Bearer realm="pixie", error="invalid_token"') // true
 * isInvalidTokenChallenge('Bearer error="insufficient_scope"') // false
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function isInvalidTokenChallenge(header: string | null): boolean {
  return header !== null && /(?:^|,)\s*bearer\b[^]*?\berror\s*=\s*"?invalid_token\b/i.test(header)
}

/**
 * What {@link authorizedFetch} needs from a client: fresh tokens, and a refresh that replaces
 * a given stale access token.
 *
 * @example
 * ```ts
 * const deps: AuthorizedFetchDeps = { fetch, getTokens: () => client.getTokens(), refresh: () => client.refresh() }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export interface AuthorizedFetchDeps {
  fetch: FetchLike
  getTokens(): Promise<TokenSet>
  refresh(stale: TokenSet): Promise<TokenSet>
}

/**
 * `fetch` with `Authorization: Bearer <access token>`. If the resource answers 401 with an
 * `invalid_token` challenge and a refresh token is held, refreshes once and retries once.
 *
 * @example
 * ```ts
 * const res = await authorizedFetch(deps, 'https://api.example.com/v1/me')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export async function authorizedFetch(
  deps: AuthorizedFetchDeps,
  input: RequestInfo | URL,
  init?: RequestInit,
): Promise<Response> {
  // A Request can be sent once: keep an unsent original to clone for each attempt.
  const request = new Request(input, init)
  const attempt = (tokens: TokenSet) => {
    const copy = request.clone()
    copy.headers.set('authorization', `Bearer ${tokens.accessToken}`)
    return send(deps.fetch, copy)
  }
  const tokens = await deps.getTokens()
  const res = await attempt(tokens)
  if (
    res.status !== 401 ||
    !tokens.refreshToken ||
    !isInvalidTokenChallenge(res.headers.get('www-authenticate'))
  ) {
    return res
  }
  await res.body?.cancel()
  return attempt(await deps.refresh(tokens))
}
