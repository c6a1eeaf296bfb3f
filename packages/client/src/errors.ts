/**
 * The closed set of error codes a {@link PixieClientError} can carry. Switch on it: the
 * values are part of the public API and only ever grow in a major release.
 *
 * - `invalid_argument`: the SDK was called with an unusable option or argument.
 * - `discovery_error`: the server's metadata could not be read or is malformed.
 * - `issuer_mismatch`: metadata `issuer` or the callback's `iss` differs from the issuer.
 * - `missing_transaction`: a callback arrived that this client did not start (or a replay).
 * - `invalid_state`: the callback's `state` differs from the one sent.
 * - `authorization_error`: the server redirected back with `error` (e.g. `access_denied`).
 * - `token_error`: the token endpoint refused the authorization code exchange.
 * - `refresh_failed`: the token endpoint refused the refresh token.
 * - `invalid_response`: a server response violated the spec (bad JSON, missing field...).
 * - `network_error`: `fetch` itself failed (offline, DNS, CORS...).
 * - `no_tokens`: an operation needs tokens and none are stored.
 * - `userinfo_error`: the userinfo (`/v1/me`) endpoint answered with an error.
 * - `revocation_error`: the revocation endpoint answered with an error.
 * - `not_supported`: the server or the runtime lacks what the operation needs.
 *
 * @example
 * ```ts
 * try {
 *   await client.handleCallback()
 * } catch (e) {
 *   if (e instanceof PixieClientError && e.code === 'authorization_error') {
 *     console.log(e.error, e.error_description) // 'access_denied', ...
 *   }
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export type PixieClientErrorCode =
  | 'invalid_argument'
  | 'discovery_error'
  | 'issuer_mismatch'
  | 'missing_transaction'
  | 'invalid_state'
  | 'authorization_error'
  | 'token_error'
  | 'refresh_failed'
  | 'invalid_response'
  | 'network_error'
  | 'no_tokens'
  | 'userinfo_error'
  | 'revocation_error'
  | 'not_supported'

/**
 * Details attached to a {@link PixieClientError}: the server's OAuth error, if it sent one.
 *
 * @example
 * ```ts
 * new PixieClientError('token_error', 'code refused', { status: 400, error: 'invalid_grant' })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export interface PixieClientErrorDetails {
  /** The server's `error` code, e.g. `invalid_grant`. */
  error?: string | undefined
  /** The server's human-readable `error_description`. */
  error_description?: string | undefined
  /** The HTTP status of the response, when the error came from one. */
  status?: number | undefined
  /** The underlying exception, e.g. the `TypeError` of a failed `fetch`. */
  cause?: unknown
}

/**
 * The one error class the SDK throws. Its {@link PixieClientErrorCode | code} is stable;
 * `error`, `error_description` and `status` carry what the server said, when it said it.
 *
 * @example
 * ```ts
 * try {
 *   await client.refresh()
 * } catch (e) {
 *   if (e instanceof PixieClientError && e.code === 'refresh_failed') await client.redirectToAuthorization()
 *   else throw e
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export class PixieClientError extends Error {
  override readonly name = 'PixieClientError'
  /** What went wrong, as a stable code to switch on. */
  readonly code: PixieClientErrorCode
  /** The server's `error` code (RFC 6749 section 5.2 / 4.1.2.1), if any. */
  readonly error: string | undefined
  /** The server's `error_description`, if any. */
  readonly error_description: string | undefined
  /** The HTTP status, when the error came from a response. */
  readonly status: number | undefined

  constructor(code: PixieClientErrorCode, message: string, details: PixieClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.error = details.error
    this.error_description = details.error_description
    this.status = details.status
  }
}
