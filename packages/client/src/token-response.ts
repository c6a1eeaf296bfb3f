import { PixieClientError, type PixieClientErrorCode } from './errors.ts'
import { expectOk, isObject, postForm, readJsonObject, type FetchLike } from './http.ts'

/**
 * The tokens a successful token response carries, in the shape the SDK stores them.
 *
 * @example
 * ```ts
 * const tokens: TokenSet = { accessToken: 'at', tokenType: 'Bearer', expiresAt: Date.now() + 3600e3 }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenSet {
  accessToken: string
  tokenType: 'Bearer'
  /** When the access token expires, in milliseconds since the epoch (from `expires_in`). */
  expiresAt?: number
  refreshToken?: string
  /** The granted scope, when the server says it (RFC 6749 section 5.1). */
  scope?: string
}

function invalid(message: string): never {
  throw new PixieClientError('invalid_response', `token response: ${message}`)
}

/**
 * Validates a parsed token endpoint response strictly and converts it to a {@link TokenSet}:
 * a JSON object, `access_token` a non-empty string, `token_type` case-insensitively `bearer`
 * (RFC 6750), `expires_in` a positive number, `refresh_token` a non-empty string and `scope`
 * a string when present. Throws `invalid_response` otherwise.
 *
 * @example
 * ```ts
 * parseTokenResponse({ access_token: 'at', token_type: 'bearer', expires_in: 3600 })
 * // { accessToken: 'at', tokenType: 'Bearer', expiresAt: <now + 3600 s> }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-4
 */
export function parseTokenResponse(body: unknown, now = Date.now()): TokenSet {
  if (!isObject(body)) invalid('not a JSON object')
  const { access_token, token_type, expires_in, refresh_token, scope } = body
  if (typeof access_token !== 'string' || !access_token) invalid('"access_token" is missing')
  // RFC 6749 section 5.1: token_type is case insensitive; only Bearer is understood here.
  if (typeof token_type !== 'string' || token_type.toLowerCase() !== 'bearer') {
    invalid('"token_type" is not "Bearer"')
  }
  const tokens: TokenSet = { accessToken: access_token, tokenType: 'Bearer' }
  if (expires_in !== undefined) {
    if (typeof expires_in !== 'number' || !Number.isFinite(expires_in) || expires_in <= 0) {
      invalid('"expires_in" is not a positive number')
    }
    tokens.expiresAt = now + expires_in * 1000
  }
  if (refresh_token !== undefined) {
    if (typeof refresh_token !== 'string' || !refresh_token) invalid('"refresh_token" is empty')
    tokens.refreshToken = refresh_token
  }
  if (scope !== undefined) {
    if (typeof scope !== 'string') invalid('"scope" is not a string')
    tokens.scope = scope
  }
  return tokens
}

/**
 * @internal Makes a token request (RFC 6749 section 4.1.3 or 6) and validates the response.
 * An error response becomes `errorCode` carrying the server's `error` and status.
 */
export async function requestTokens(
  fetchImpl: FetchLike,
  tokenEndpoint: string,
  params: Record<string, string>,
  errorCode: PixieClientErrorCode,
): Promise<TokenSet> {
  const res = await postForm(fetchImpl, tokenEndpoint, params)
  await expectOk(res, errorCode)
  return parseTokenResponse(await readJsonObject(res))
}
