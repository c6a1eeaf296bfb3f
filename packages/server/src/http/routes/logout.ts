import type { Context, Hono } from 'hono'
import { authorizationRedirect } from '../../core/authorize/response.ts'
import { asOAuthError, InvalidRequest } from '../../core/errors.ts'
import { validateLogoutRequest, type LogoutRequest } from '../../core/logout.ts'
import { readUniqueParams } from '../../core/params.ts'
import { verifyOwnJwt } from '../../crypto/signing-keys.ts'
import type { SessionRecord } from '../../storage/store.ts'
import { errorPage } from '../../views/error.ts'
import { confirmLogoutPage, signedOutPage, stillSignedInPage } from '../../views/logout.ts'
import { redirectWithContext, type AppDeps } from '../context.ts'
import { readForm, readQuery } from '../form.ts'
import { cspSourceOf, setPageHeaders } from '../security-headers.ts'
import { checkFormPost, csrfToken, currentSession, endSession } from '../session.ts'
import { showError } from './authorize.ts'

const LOGOUT_PARAMS = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state']

/**
 * RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0): GET or POST /logout ends the
 * browser session (cookie and row), then sends the user to the client's registered
 * post_logout_redirect_uri with its state, or shows a signed-out page. A request without an
 * id_token_hint for the signed-in user is confirmed by the user first (a CSRF-protected form).
 */
export function logoutRoutes(app: Hono, deps: AppDeps): void {
  const { store, config } = deps
  const cookieOpts = { secure: deps.secureCookies }

  async function validate(search: URLSearchParams): Promise<LogoutRequest> {
    const params = readUniqueParams(search)
    let hint: Record<string, unknown> | null = null
    if (params.id_token_hint !== undefined) {
      hint = await verifyOwnJwt(deps.keys, params.id_token_hint, deps.now())
      // RP-Initiated Logout 1.0 2/4: the hint must be an ID Token this OP issued.
      if (hint === null || hint.iss !== config.issuer) {
        throw new InvalidRequest('id_token_hint is not an ID Token issued by this server')
      }
    }
    return validateLogoutRequest(params, hint, (id) => store.getClient(id))
  }

  async function finish(c: Context, request: LogoutRequest, loggedOut: boolean) {
    c.header('Cache-Control', 'no-store')
    if (request.redirect) {
      const { uri, state } = request.redirect
      return redirectWithContext(c, authorizationRedirect(uri, { state }), 302)
    }
    setPageHeaders(c)
    return c.html(loggedOut ? signedOutPage() : stillSignedInPage())
  }

  async function logout(c: Context, search: URLSearchParams): Promise<Response> {
    const request = await validate(search)
    const session = await currentSession(c, store, deps.now())
    if (session && !vouchedFor(request, session)) return confirm(c, request, search, session)
    await endSession(c, store, cookieOpts)
    return finish(c, request, true)
  }

  /**
   * RP-Initiated Logout 1.0 2: the OP MUST ask the user when no id_token_hint was sent or it
   * names someone else than the signed-in user.
   */
  async function confirm(
    c: Context,
    request: LogoutRequest,
    search: URLSearchParams,
    session: SessionRecord,
  ): Promise<Response> {
    const user = await store.getUserById(session.userId)
    const client = request.clientId ? await store.getClient(request.clientId) : undefined
    const params: Record<string, string> = {}
    for (const name of LOGOUT_PARAMS) {
      const v = search.get(name)
      if (v) params[name] = v
    }
    setPageHeaders(c, request.redirect ? [cspSourceOf(request.redirect.uri)] : [])
    return c.html(
      confirmLogoutPage({
        userName: user?.name ?? 'you',
        clientName: client?.clientName,
        params,
        csrfToken: csrfToken(c, cookieOpts),
      }),
    )
  }

  const guarded = (fn: (c: Context) => Promise<Response>) => async (c: Context) => {
    try {
      return await fn(c)
    } catch (err) {
      return showError(c, asOAuthError(err))
    }
  }

  app.get(
    '/logout',
    guarded((c) => logout(c, readQuery(c))),
  )
  app.post(
    '/logout',
    guarded(async (c) => logout(c, await readForm(c))),
  )
  app.post(
    '/logout/confirm',
    guarded(async (c) => {
      const form = await readForm(c)
      const origins = [new URL(config.issuer).origin, new URL(c.req.url).origin]
      if (!checkFormPost(c, form, origins)) {
        setPageHeaders(c)
        return c.html(
          errorPage('Your session expired', 'Go back to the app and sign out again.', 'csrf'),
          403,
        )
      }
      const decision = form.getAll('decision')
      if (decision.length !== 1 || (decision[0] !== 'logout' && decision[0] !== 'stay')) {
        throw new InvalidRequest('decision must be logout or stay')
      }
      const search = new URLSearchParams()
      for (const name of LOGOUT_PARAMS) for (const v of form.getAll(name)) search.append(name, v)
      const request = await validate(search)
      if (decision[0] === 'logout') await endSession(c, store, cookieOpts)
      return finish(c, request, decision[0] === 'logout')
    }),
  )
}

/** The hint names the signed-in user: the request is the client's, no question needed. */
function vouchedFor(request: LogoutRequest, session: SessionRecord): boolean {
  return request.subject !== null && request.subject === session.userId
}
