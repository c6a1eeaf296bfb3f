import type { Context, Hono } from 'hono'
import { issueCode } from '../../core/authorize/issue-code.ts'
import {
  validateAuthorizationRequest,
  type AuthorizationRequest,
  type AuthorizationValidation,
} from '../../core/authorize/request.ts'
import { errorRedirect, successRedirect } from '../../core/authorize/response.ts'
import {
  AccessDenied,
  ConsentRequired,
  InvalidRequest,
  LoginRequired,
  type OAuthError,
} from '../../core/errors.ts'
import { includesAll } from '../../core/scope.ts'
import { SCOPES } from '../../config.ts'
import { dummyPasswordHash, verifyPassword } from '../../crypto/password.ts'
import type { SessionRecord } from '../../storage/store.ts'
import { consentPage } from '../../views/consent.ts'
import { errorPage } from '../../views/error.ts'
import { loginPage } from '../../views/login.ts'
import { clientIp } from '../../rate-limit.ts'
import { redirectResponse, redirectWithContext, type AppDeps } from '../context.ts'
import { readForm, readQuery } from '../form.ts'
import { cspSourceOf, setPageHeaders } from '../security-headers.ts'
import {
  checkFormPost,
  csrfToken,
  currentSession,
  currentSessionWithConsent,
  startSession,
} from '../session.ts'

const SUPPORTED_SCOPES = Object.keys(SCOPES)

/**
 * The authorization endpoint (RFC 6749 4.1.1) and the two forms behind it. The authorization
 * request rides along in hidden fields and is validated again on every step, so no step trusts
 * what an earlier one saw.
 */
export function authorizeRoutes(app: Hono, deps: AppDeps): void {
  const { store, config } = deps
  const cookieOpts = { secure: deps.secureCookies }
  const validate = (params: URLSearchParams) =>
    validateAuthorizationRequest(params, (id) => store.getClient(id), SUPPORTED_SCOPES)

  app.get('/authorize', async (c) => {
    const result = await validate(readQuery(c))
    if (!result.ok) return refuse(c, result)
    const { request } = result
    const signedIn = await currentSessionWithConsent(c, store, deps.now(), request.client.clientId)
    if (!signedIn || mustSignInAgain(request, signedIn.session, deps.now())) {
      // OIDC Core 3.1.2.1: prompt=none MUST NOT display a page; login_required instead.
      if (request.prompt.includes('none')) {
        return refuse(c, {
          ok: false,
          error: new LoginRequired('the user must sign in'),
          target: { redirectUri: request.redirectUri, state: request.state },
        })
      }
      return showLogin(c, request, 200, undefined, request.loginHint)
    }
    return continueSignedIn(c, request, signedIn.session, signedIn.consent)
  })

  app.post('/login', async (c) => {
    const form = await readForm(c)
    if (!checkFormPost(c, form, formOrigins(c))) return forbidden(c)
    const result = await validate(withoutFields(form, ['username', 'password', 'csrf_token']))
    if (!result.ok) return refuse(c, result, 303)
    const username = form.get('username') ?? ''
    const password = form.get('password') ?? ''
    // Throttled before the password is checked: a refused guess costs no argon2 hash.
    const ip = clientIp(c, config.rate_limit.trust_proxy_hops)
    const blocked = await deps.rateLimits.checkLogin(username, ip)
    if (blocked) {
      c.header('Retry-After', String(blocked.retryAfter))
      const minutes = Math.ceil(blocked.retryAfter / 60)
      const wait = minutes <= 1 ? 'a minute' : `${minutes} minutes`
      const message = `Too many failed sign-in attempts. Try again in ${wait}.`
      return showLogin(c, result.request, 429, message, username)
    }
    const user = username.length <= 64 ? await store.getUserByUsername(username) : undefined
    // Same work and the same answer for an unknown user as for a wrong password.
    const ok = await verifyPassword(
      user?.passwordHash ?? (await dummyPasswordHash()),
      password.slice(0, 1024),
    )
    if (!user || !ok) {
      await deps.rateLimits.loginFailed(username, ip)
      return showLogin(c, result.request, 401, 'Incorrect username or password.', username)
    }
    await deps.rateLimits.loginSucceeded(username, ip)
    await startSession(c, store, user.id, config.session_ttl, deps.now(), cookieOpts)
    // 303: the browser follows with a GET, and the authorization request resumes.
    return redirectWithContext(
      c,
      `/authorize?${new URLSearchParams(afterLogin(result.request.params))}`,
      303,
    )
  })

  app.post('/consent', async (c) => {
    const form = await readForm(c)
    if (!checkFormPost(c, form, formOrigins(c))) return forbidden(c)
    const result = await validate(withoutFields(form, ['decision', 'csrf_token']))
    if (!result.ok) return refuse(c, result, 303)
    const { request } = result
    const session = await currentSession(c, store, deps.now())
    if (!session) return redirectResponse(`/authorize?${new URLSearchParams(request.params)}`, 303)
    const decision = form.getAll('decision')
    if (decision.length !== 1 || (decision[0] !== 'allow' && decision[0] !== 'deny')) {
      return refuse(c, {
        ok: false,
        error: new InvalidRequest('decision must be allow or deny'),
        target: null,
      })
    }
    if (decision[0] === 'deny') {
      // RFC 6749 4.1.2.1: the resource owner denied the request.
      const target = errorRedirect(
        request.redirectUri,
        new AccessDenied('the user denied the request'),
        request.state,
        config.issuer,
      )
      return redirectResponse(target, 303, { 'Cache-Control': 'no-store' })
    }
    await store.addConsent(session.userId, request.client.clientId, request.scopes, deps.now())
    return redirectWithCode(c, request, session, 303)
  })

  async function continueSignedIn(
    c: Context,
    request: AuthorizationRequest,
    session: SessionRecord,
    consented: string[],
  ): Promise<Response> {
    // OIDC Core 3.1.2.1: prompt=consent asks again even when consent was given before.
    const mustAsk = request.prompt.includes('consent') || !includesAll(consented, request.scopes)
    if (!mustAsk) return redirectWithCode(c, request, session, 302)
    if (request.prompt.includes('none')) {
      // OIDC Core 3.1.2.6: consent would be needed, but no page may be shown.
      return refuse(c, {
        ok: false,
        error: new ConsentRequired('the user has not consented to these scopes'),
        target: { redirectUri: request.redirectUri, state: request.state },
      })
    }
    const user = await store.getUserById(session.userId)
    if (!user) return showLogin(c, request)
    setPageHeaders(c, formTargets(request))
    return c.html(
      consentPage({
        clientName: request.client.clientName,
        userName: user.name,
        redirectHost: redirectHost(request.redirectUri),
        scopes: request.scopes,
        params: request.params,
        csrfToken: csrfToken(c, cookieOpts),
      }),
    )
  }

  async function redirectWithCode(
    c: Context,
    request: AuthorizationRequest,
    session: SessionRecord,
    status: 302 | 303,
  ): Promise<Response> {
    const code = await issueCode(
      store,
      request,
      { id: session.userId, authTime: session.authTime },
      { codeTtl: config.code_ttl, refreshTokenTtl: config.refresh_token_ttl },
      deps.now(),
    )
    return redirectResponse(
      successRedirect(request.redirectUri, code, request.state, config.issuer),
      status,
      { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
    )
  }

  function showLogin(
    c: Context,
    request: AuthorizationRequest,
    status: 200 | 401 | 429 = 200,
    error?: string,
    username?: string,
  ): Response | Promise<Response> {
    setPageHeaders(c, formTargets(request))
    const view = {
      clientName: request.client.clientName,
      params: request.params,
      csrfToken: csrfToken(c, cookieOpts),
      ...(error !== undefined ? { error } : {}),
      ...(username !== undefined ? { username } : {}),
    }
    return c.html(loginPage(view), status)
  }

  /** An invalid request: an error page when the target is untrusted, else a redirect. */
  function refuse(
    c: Context,
    result: Extract<AuthorizationValidation, { ok: false }>,
    status: 302 | 303 = 302,
  ): Response | Promise<Response> {
    if (result.target) {
      const target = errorRedirect(
        result.target.redirectUri,
        result.error,
        result.target.state,
        config.issuer,
      )
      return redirectResponse(target, status, { 'Cache-Control': 'no-store' })
    }
    return showError(c, result.error)
  }

  function forbidden(c: Context): Response | Promise<Response> {
    setPageHeaders(c)
    return c.html(
      errorPage(
        'Your session expired',
        'The form was open too long or came from another site. Go back to the app and sign in again.',
        'csrf',
      ),
      403,
    )
  }

  function formOrigins(c: Context): string[] {
    return [new URL(config.issuer).origin, new URL(c.req.url).origin]
  }
}

export function showError(c: Context, error: OAuthError): Response | Promise<Response> {
  setPageHeaders(c)
  if (error.status === 503) {
    // The database is away (a restart, a failover): nothing is wrong with the link.
    c.header('Retry-After', '5')
    return c.html(
      errorPage(
        'Sign-in is temporarily unavailable',
        'The sign-in service cannot complete your request right now. Wait a moment, then reload this page.',
        error.error,
      ),
      503,
    )
  }
  return c.html(
    errorPage('This sign-in link is not valid', error.description, error.error),
    error.status >= 500 ? (error.status as 500 | 503) : 400,
  )
}

/**
 * OIDC Core 3.1.2.1: prompt=login, or a session older than max_age, means the user signs in
 * again whatever session there is.
 */
function mustSignInAgain(request: AuthorizationRequest, session: SessionRecord, now: number) {
  if (request.prompt.includes('login')) return true
  return request.maxAge !== null && now - session.authTime > request.maxAge
}

/**
 * The request to resume after a login: prompt=login and max_age are satisfied by it (and would
 * ask again if the clock ticked over a second on the way back).
 */
function afterLogin(params: Array<[string, string]>): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const [name, value] of params) {
    if (name === 'max_age') continue
    if (name === 'prompt') {
      const rest = value.split(' ').filter((v) => v !== 'login' && v !== '')
      if (rest.length > 0) out.push([name, rest.join(' ')])
      continue
    }
    out.push([name, value])
  }
  return out
}

function withoutFields(form: URLSearchParams, names: string[]): URLSearchParams {
  const out = new URLSearchParams()
  for (const [k, v] of form) if (!names.includes(k)) out.append(k, v)
  return out
}

function formTargets(request: AuthorizationRequest): string[] {
  return [cspSourceOf(request.redirectUri)]
}

function redirectHost(uri: string): string {
  const url = new URL(uri)
  return url.host || url.protocol
}
