import { checkAccessToken, MissingToken, readBearer } from '../core/bearer.ts'
import { asOAuthError, InsufficientScope, InvalidToken, type OAuthError } from '../core/errors.ts'
import type { AccessTokenRecord, UserRecord } from '../storage/store.ts'
import { plainJson, type AppDeps, type Endpoint, type PlainResponse } from './context.ts'

/**
 * Pixie's own APIs about the signed-in user (/v1/me, /userinfo): the bearer token is looked up
 * by its hash, so revocation takes effect at once; it must carry `scope` and belong to a user;
 * CORS is answered for the token's client; failures are RFC 6750 errors.
 */
export function userEndpoint(
  deps: AppDeps,
  path: string,
  scope: string,
  answer: (record: AccessTokenRecord, user: UserRecord) => object,
): Endpoint {
  const { store, cors } = deps
  return async ({ header }) => {
    const origin = header('origin')
    try {
      const token = readBearer(header('authorization'))
      const { record, user } = await checkAccessToken(
        store,
        token,
        scope,
        deps.now(),
        deps.config.issuer,
      )
      // The client is needed only to answer CORS, so only when there is an Origin to answer.
      const headers = await cors.headers(
        origin,
        origin === undefined ? undefined : await store.getClient(record.clientId),
      )
      // A client_credentials token has no user: there is no profile to show.
      if (record.userId === null || !user) {
        const why = record.userId === null ? 'the token has no user' : 'the user no longer exists'
        return bearerError(headers, new InvalidToken(why))
      }
      headers['Cache-Control'] = 'no-store'
      return plainJson(200, headers, answer(record, user))
    } catch (err) {
      // With the database away, the allowed origins are unknown: none is allowed.
      const headers: Record<string, string> = await cors
        .headers(origin, undefined)
        .catch(() => ({ Vary: 'Origin' }))
      if (err instanceof MissingToken) {
        // RFC 6750 3.1: no credentials -> no error code.
        headers['Cache-Control'] = 'no-store'
        headers['WWW-Authenticate'] = 'Bearer realm="pixie"'
        return plainJson(401, headers, { message: 'a bearer token is required' })
      }
      const error = asOAuthError(err)
      if (error.status >= 500) deps.log('error', `${path} failed`, { err: String(err) })
      return bearerError(headers, error)
    }
  }
}

/** RFC 6750 3: the error in WWW-Authenticate, with the same error in a JSON body. */
function bearerError(headers: Record<string, string>, error: OAuthError): PlainResponse {
  headers['Cache-Control'] = 'no-store'
  if (error.status < 500) {
    let challenge = `Bearer realm="pixie", error="${error.error}", error_description="${error.description}"`
    if (error instanceof InsufficientScope) challenge += `, scope="${error.scope}"`
    headers['WWW-Authenticate'] = challenge
  }
  // 503: the database is away; clients may retry shortly (as app.ts's onError says it).
  if (error.status === 503) headers['Retry-After'] = '5'
  return plainJson(error.status, headers, error.toJSON())
}
