import type { Context } from 'hono'
import { checkAccessToken, MissingToken, readBearer } from '../core/bearer.ts'
import { asOAuthError, InsufficientScope, InvalidToken, type OAuthError } from '../core/errors.ts'
import type { AccessTokenRecord, UserRecord } from '../storage/store.ts'
import { jsonResponse, requestHeader, type AppDeps } from './context.ts'

/**
 * Pixie's own APIs about the signed-in user (/v1/me, /userinfo): the bearer token is looked up
 * by its hash, so revocation takes effect at once; it must carry `scope` and belong to a user;
 * CORS is answered for the token's client; failures are RFC 6750 errors.
 */
export function userEndpoint(
  deps: AppDeps,
  scope: string,
  answer: (record: AccessTokenRecord, user: UserRecord) => object,
): (c: Context) => Promise<Response> {
  const { store, cors } = deps
  return async (c) => {
    try {
      const token = readBearer(requestHeader(c, 'authorization'))
      const { record, user } = await checkAccessToken(
        store,
        token,
        scope,
        deps.now(),
        deps.config.issuer,
      )
      // The client is needed only to answer CORS, so only when there is an Origin to answer.
      const origin = requestHeader(c, 'origin')
      const headers = await cors.headers(
        origin,
        origin === undefined ? undefined : await store.getClient(record.clientId),
      )
      headers['Cache-Control'] = 'no-store'
      // A client_credentials token has no user: there is no profile to show.
      if (record.userId === null || !user) {
        for (const name in headers) c.header(name, headers[name])
        const why = record.userId === null ? 'the token has no user' : 'the user no longer exists'
        return bearerError(c, new InvalidToken(why))
      }
      return jsonResponse(answer(record, user), 200, headers)
    } catch (err) {
      c.header('Cache-Control', 'no-store')
      await cors.apply(c, undefined)
      if (err instanceof MissingToken) {
        // RFC 6750 3.1: no credentials -> no error code.
        c.header('WWW-Authenticate', 'Bearer realm="pixie"')
        return c.json({ message: 'a bearer token is required' }, 401)
      }
      const error = asOAuthError(err)
      if (error.status >= 500) deps.log('error', `${c.req.path} failed`, { err: String(err) })
      return bearerError(c, error)
    }
  }
}

/** RFC 6750 3: the error in WWW-Authenticate, with the same error in a JSON body. */
export function bearerError(c: Context, error: OAuthError): Response {
  if (error.status < 500) {
    let challenge = `Bearer realm="pixie", error="${error.error}", error_description="${error.description}"`
    if (error instanceof InsufficientScope) challenge += `, scope="${error.scope}"`
    c.header('WWW-Authenticate', challenge)
  }
  return c.json(error.toJSON(), error.status as 400 | 401 | 403 | 500 | 503)
}
