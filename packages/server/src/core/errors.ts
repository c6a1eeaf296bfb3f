/**
 * Spec errors as data: one class per RFC error code, each knowing its HTTP status on the token
 * endpoint and whether the authorization endpoint may redirect it back to the client.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string
  /** HTTP status used when the error is answered directly (token endpoint, JSON APIs). */
  readonly status: number = 400
  /** False for errors the authorization endpoint must never send to a redirect URI. */
  readonly redirectable: boolean = true

  constructor(readonly description: string) {
    super(description)
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description }
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request'
}

/** RFC 6749 5.2: 401 on the token endpoint. */
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client'
  override readonly status = 401
  override readonly redirectable = false
  /** Set when the client tried HTTP Basic: the 401 then carries `WWW-Authenticate: Basic`. */
  basic = false
}

export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant'
}

export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client'
}

export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type'
}

export class UnsupportedResponseType extends OAuthError {
  readonly error = 'unsupported_response_type'
}

export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope'
}

/** RFC 7009 2.2.1 */
export class UnsupportedTokenType extends OAuthError {
  readonly error = 'unsupported_token_type'
}

export class AccessDenied extends OAuthError {
  readonly error = 'access_denied'
  override readonly status = 403
}

export class ServerError extends OAuthError {
  readonly error = 'server_error'
  override readonly status = 500
}

export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable'
  override readonly status = 503
}

/** The client or redirect URI cannot be trusted: show a page, never redirect (RFC 6749 4.1.2.1). */
export class InvalidAuthorizationTarget extends OAuthError {
  readonly error = 'invalid_request'
  override readonly redirectable = false
}

/** RFC 6750 3.1 errors of a protected resource. */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token'
  override readonly status = 401
}

export class InsufficientScope extends OAuthError {
  readonly error = 'insufficient_scope'
  override readonly status = 403
  constructor(
    description: string,
    readonly scope: string,
  ) {
    super(description)
  }
}

/** Anything that is not a spec error becomes server_error without leaking internals. */
export function asOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err
  if (isUnavailable(err))
    return new TemporarilyUnavailable('the service is temporarily unavailable')
  // A client or user removed while the request was under way: the request names what is gone.
  if (isForeignKeyViolation(err))
    return new InvalidRequest('the client or user of this request no longer exists')
  return new ServerError('the server encountered an unexpected error')
}

/** A write that refers to a row that is gone: SQLite's foreign key check, PostgreSQL 23503. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503'
}

/**
 * Storage failures that mean "try again later" rather than a bug: socket errors, SQLite busy,
 * PostgreSQL class 08 (connection exception) and 57P01-57P03 (admin/crash shutdown, cannot
 * connect now), and the errors `pg` raises without a code when a connection dies or never
 * comes (see UNAVAILABLE_MESSAGES).
 */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    return UNAVAILABLE_CODES.includes(code) || code.startsWith('08') || /^57P0[123]$/.test(code)
  }
  const message = (err as { message?: unknown } | null)?.message
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))
}

const UNAVAILABLE_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'SQLITE_BUSY',
]

/** Codeless errors of pg / pg-pool: the socket closed, or no connection within the timeout. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]

/** RFC 8707 2: a resource indicator that is not acceptable. */
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target'
}

/** OIDC Core 3.1.2.6: prompt=none and the user is not signed in (or must sign in again). */
export class LoginRequired extends OAuthError {
  readonly error = 'login_required'
}

/** OIDC Core 3.1.2.6: prompt=none and the user has not consented to these scopes. */
export class ConsentRequired extends OAuthError {
  readonly error = 'consent_required'
}

/** OIDC Core 3.1.2.6: prompt=none and some other interaction would be needed. */
export class InteractionRequired extends OAuthError {
  readonly error = 'interaction_required'
}
