import type { OAuthError } from '../errors.ts'

/**
 * The redirect back to the client: its query keeps what the registered URI had (RFC 6749
 * 3.1.2), then the response parameters, with `iss` always (RFC 9207 2) and `state` exactly as
 * received when it was sent (RFC 6749 4.1.2).
 */
export function authorizationRedirect(
  redirectUri: string,
  params: Record<string, string | undefined>,
): string {
  const url = new URL(redirectUri)
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v)
  return url.toString()
}

export function successRedirect(
  redirectUri: string,
  code: string,
  state: string | undefined,
  issuer: string,
): string {
  return authorizationRedirect(redirectUri, { code, state, iss: issuer })
}

/** RFC 6749 4.1.2.1 error response (+ RFC 9207 iss). */
export function errorRedirect(
  redirectUri: string,
  error: OAuthError,
  state: string | undefined,
  issuer: string,
): string {
  return authorizationRedirect(redirectUri, {
    error: error.error,
    error_description: error.description,
    state,
    iss: issuer,
  })
}
