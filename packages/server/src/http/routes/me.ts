import type { Context, Hono } from 'hono'
import { checkAccessToken, MissingToken, readBearer } from '../../core/bearer.ts'
import {
  asOAuthError,
  InsufficientScope,
  InvalidToken,
  type OAuthError,
} from '../../core/errors.ts'
import type { AppDeps } from '../context.ts'

/** GET /v1/me: the signed-in user's profile, behind a bearer token with the `profile` scope. */
export function meRoutes(app: Hono, deps: AppDeps): void {
  const { store, cors } = deps

  app.options('/v1/me', (c) => cors.preflight(c, 'Authorization'))

  app.get('/v1/me', async (c) => {
    c.header('Cache-Control', 'no-store')
    try {
      const token = readBearer(c.req.header('authorization'))
      const record = await checkAccessToken(store, token, 'profile', deps.now(), deps.config.issuer)
      // A client_credentials token has no user: there is no profile to show.
      if (record.userId === null) return bearerError(c, new InvalidToken('the token has no user'))
      // The client is needed only to answer CORS, so only when there is an Origin to answer.
      const [user, client] = await Promise.all([
        store.getUserById(record.userId),
        c.req.header('origin') === undefined ? undefined : store.getClient(record.clientId),
      ])
      await cors.apply(c, client)
      if (!user) return bearerError(c, asOAuthError(new Error('user vanished')))
      const profile: Record<string, string> = { id: user.id, display_name: user.name }
      if (record.scope.includes('email') && user.email) profile.email = user.email
      return c.json(profile)
    } catch (err) {
      await cors.apply(c, undefined)
      if (err instanceof MissingToken) {
        // RFC 6750 3.1: no credentials -> no error code.
        c.header('WWW-Authenticate', 'Bearer realm="pixie"')
        return c.json({ message: 'a bearer token is required' }, 401)
      }
      const error = asOAuthError(err)
      if (error.status >= 500) deps.log('error', '/v1/me failed', { err: String(err) })
      return bearerError(c, error)
    }
  })
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
