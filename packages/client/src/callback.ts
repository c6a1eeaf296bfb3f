import type { AuthorizationServer } from './discovery.ts'
import { PixieClientError } from './errors.ts'

/**
 * Checks that the callback's `state` is the one this client sent (CSRF protection).
 * Throws `invalid_state`.
 *
 * @example
 * ```ts
 * checkState(new URL(location.href).searchParams, transaction.state)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-10.12
 */
export function checkState(params: URLSearchParams, expected: string): void {
  if (params.get('state') !== expected) {
    throw new PixieClientError('invalid_state', 'the callback "state" does not match the request')
  }
}

/**
 * Validates an authorization response whose `state` already matched, and returns its `code`.
 * When the server advertises `authorization_response_iss_parameter_supported`, `iss` is
 * required and must equal the issuer (mix-up defence); an `error` response becomes
 * `authorization_error` with the server's `error` and `error_description`.
 *
 * @example
 * ```ts
 * const code = parseAuthorizationResponse(new URL(location.href).searchParams, server)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 */
export function parseAuthorizationResponse(
  params: URLSearchParams,
  server: AuthorizationServer,
): string {
  const iss = params.get('iss')
  // RFC 9207 section 2.4: a present `iss` must match; when advertised, it must be present.
  const required = server.authorization_response_iss_parameter_supported === true
  if ((iss !== null || required) && iss !== server.issuer) {
    throw new PixieClientError('issuer_mismatch', 'the callback "iss" is not the expected issuer')
  }
  const error = params.get('error')
  if (error !== null) {
    const description = params.get('error_description') ?? undefined
    throw new PixieClientError('authorization_error', description ?? error, {
      error,
      error_description: description,
    })
  }
  const code = params.get('code')
  if (!code) throw new PixieClientError('invalid_response', 'the callback has no "code"')
  return code
}
