import type { Context, Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { authorizationRedirect } from '../../core/authorize/response.ts'
import { asOAuthError, InvalidRequest } from '../../core/errors.ts'
import { validateLogoutRequest } from '../../core/logout.ts'
import { readUniqueParams } from '../../core/params.ts'
import { hashToken } from '../../crypto/hash.ts'
import { verifyOwnJwt } from '../../crypto/signing-keys.ts'
import { signedOutPage } from '../../views/logout.ts'
import type { AppDeps } from '../context.ts'
import { readForm, readQuery } from '../form.ts'
import { setPageHeaders } from '../security-headers.ts'
import { clearSessionCookie, SESSION_COOKIE } from '../session.ts'
import { showError } from './authorize.ts'

/**
 * RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0): GET or POST /logout ends the
 * browser session (cookie and row), then sends the user to the client's registered
 * post_logout_redirect_uri with its state, or shows a signed-out page.
 */
export function logoutRoutes(app: Hono, deps: AppDeps): void {
  const { store, config } = deps

  const handler = async (c: Context, search: URLSearchParams) => {
    const params = readUniqueParams(search)
    const now = deps.now()
    let hint: Record<string, unknown> | null = null
    if (params.id_token_hint !== undefined) {
      hint = await verifyOwnJwt(deps.keys, params.id_token_hint, now)
      // RP-Initiated Logout 2: the OP must be the issuer of the hint.
      if (hint === null || hint.iss !== config.issuer) {
        throw new InvalidRequest('id_token_hint is not an ID Token issued by this server')
      }
    }
    const request = await validateLogoutRequest(params, hint, (id) => store.getClient(id))
    const id = getCookie(c, SESSION_COOKIE)
    if (id && id.length <= 100) await store.deleteSession(hashToken(id))
    clearSessionCookie(c, { secure: deps.secureCookies })
    c.header('Cache-Control', 'no-store')
    if (request.redirect) {
      const { uri, state } = request.redirect
      return c.redirect(authorizationRedirect(uri, { state }), 302)
    }
    setPageHeaders(c)
    return c.html(signedOutPage())
  }

  app.get('/logout', async (c) => {
    try {
      return await handler(c, readQuery(c))
    } catch (err) {
      return showError(c, asOAuthError(err))
    }
  })
  app.post('/logout', async (c) => {
    try {
      return await handler(c, await readForm(c))
    } catch (err) {
      return showError(c, asOAuthError(err))
    }
  })
}
