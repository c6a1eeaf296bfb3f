import type { Context, Hono } from 'hono'
import { checkAccessToken, MissingToken, readBearer } from '../../core/bearer.ts'
import { asOAuthError, InvalidToken } from '../../core/errors.ts'
import { userInfoClaims } from '../../core/userinfo.ts'
import type { AppDeps } from '../context.ts'
import { bearerError } from './me.ts'

/**
 * The OIDC UserInfo endpoint (OIDC Core 5.3), GET and POST, behind a bearer token that carries
 * the `openid` scope; like /v1/me it looks the token up by hash, so revocation is immediate.
 */
export function userinfoRoutes(app: Hono, deps: AppDeps): void {
  const { store, cors } = deps

  app.options('/userinfo', (c) => cors.preflight(c, 'Authorization'))

  const handler = async (c: Context) => {
    c.header('Cache-Control', 'no-store')
    try {
      const token = readBearer(c.req.header('authorization'))
      // OIDC Core 5.3: the access token must come from an OpenID Connect request.
      const record = await checkAccessToken(store, token, 'openid', deps.now(), deps.config.issuer)
      if (record.userId === null) return bearerError(c, new InvalidToken('the token has no user'))
      const [user, client] = await Promise.all([
        store.getUserById(record.userId),
        store.getClient(record.clientId),
      ])
      await cors.apply(c, client)
      if (!user) return bearerError(c, new InvalidToken('the user no longer exists'))
      return c.json(userInfoClaims(record, user))
    } catch (err) {
      await cors.apply(c, undefined)
      if (err instanceof MissingToken) {
        // RFC 6750 3.1: no credentials -> no error code.
        c.header('WWW-Authenticate', 'Bearer realm="pixie"')
        return c.json({ message: 'a bearer token is required' }, 401)
      }
      const error = asOAuthError(err)
      if (error.status >= 500) deps.log('error', '/userinfo failed', { err: String(err) })
      return bearerError(c, error)
    }
  }
  app.get('/userinfo', handler)
  app.post('/userinfo', handler)
}
