import type { Context } from 'hono'
import { setCookie, deleteCookie } from 'hono/cookie'
import { requestCookie, requestHeader } from './context.ts'
import { hashToken, randomToken, timingSafeEqualString } from '../crypto/hash.ts'
import type { SessionRecord, Store } from '../storage/store.ts'

const SESSION_COOKIE = 'pixie_session'
const CSRF_COOKIE = 'pixie_csrf'

export interface CookieOptions {
  secure: boolean
}

/** The signed-in browser session: a random id in an HttpOnly cookie, stored only as a hash. */
export async function currentSession(
  c: Context,
  store: Store,
  now: number,
): Promise<SessionRecord | undefined> {
  const idHash = sessionIdHash(c)
  return idHash === undefined ? undefined : store.getSession(idHash, now)
}

/** The current session with its user's consent for `clientId`, in one read. */
export async function currentSessionWithConsent(
  c: Context,
  store: Store,
  now: number,
  clientId: string,
): Promise<{ session: SessionRecord; consent: string[] } | undefined> {
  const idHash = sessionIdHash(c)
  return idHash === undefined ? undefined : store.getSessionWithConsent(idHash, now, clientId)
}

/** The stored key of the request's session cookie; undefined without a plausible one. */
function sessionIdHash(c: Context): string | undefined {
  const id = requestCookie(c, SESSION_COOKIE)
  return !id || id.length > 100 ? undefined : hashToken(id)
}

export async function startSession(
  c: Context,
  store: Store,
  userId: string,
  ttl: number,
  now: number,
  opts: CookieOptions,
): Promise<SessionRecord> {
  const old = sessionIdHash(c)
  if (old !== undefined) await store.deleteSession(old)
  // A new id at every login: no session fixation.
  const id = randomToken()
  const session = { idHash: hashToken(id), userId, authTime: now, expiresAt: now + ttl }
  await store.createSession(session)
  setCookie(c, SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: opts.secure,
    path: '/',
    maxAge: ttl,
  })
  return session
}

/** Ends the browser session: the row and the cookie. */
export async function endSession(c: Context, store: Store, opts: CookieOptions): Promise<void> {
  const idHash = sessionIdHash(c)
  if (idHash !== undefined) await store.deleteSession(idHash)
  clearSessionCookie(c, opts)
}

export function clearSessionCookie(c: Context, opts: CookieOptions): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: opts.secure })
}

/**
 * CSRF token for the login and consent forms (double submit): a random value in an HttpOnly,
 * SameSite=Lax cookie, repeated in a hidden field; a post must carry both, equal. The cookie is
 * reused while it exists so several open tabs keep working.
 */
export function csrfToken(c: Context, opts: CookieOptions): string {
  const existing = requestCookie(c, CSRF_COOKIE)
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing
  const token = randomToken()
  setCookie(c, CSRF_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: opts.secure,
    path: '/',
  })
  return token
}

/**
 * Checks a form post: the CSRF token, and the Origin header when the browser sent one (all
 * current browsers do on POST). `Origin: null` (opaque origin, sandboxed frame, no-referrer
 * page) is refused.
 */
export function checkFormPost(
  c: Context,
  form: URLSearchParams,
  allowedOrigins: string[],
): boolean {
  const origin = requestHeader(c, 'origin')
  if (origin !== undefined && !allowedOrigins.includes(origin)) return false
  const cookie = requestCookie(c, CSRF_COOKIE)
  const field = form.getAll('csrf_token')
  if (!cookie || field.length !== 1) return false
  return timingSafeEqualString(cookie, field[0]!)
}
