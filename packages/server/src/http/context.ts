import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'
import { parse as parseCookies } from 'hono/utils/cookie'
import type { Config } from '../config.ts'
import type { KeyRing } from '../crypto/signing-keys.ts'
import type { Store } from '../storage/store.ts'
import type { CorsPolicy } from './cors.ts'
import type { RateLimits } from '../rate-limit.ts'

/** What every route needs, built once in createApp. */
export interface AppDeps {
  store: Store
  config: Config
  cors: CorsPolicy
  rateLimits: RateLimits
  /** The signing keys (id_token, JWT access tokens) and the JWKS, shared through the store. */
  keys: KeyRing
  /** Unix seconds; injectable so tests can move time. */
  now: () => number
  /** Cookies get `Secure` when the issuer is https. */
  secureCookies: boolean
  /** Origins a form post may come from: the issuer's, and the one the browser used. */
  log: (level: 'error' | 'warn' | 'info', msg: string, extra?: Record<string, unknown>) => void
}

/** node's request, when the app runs under @hono/node-server (server.ts passes it as env). */
export function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
}

/**
 * A request header, read from node's request when there is one: `c.req.header()` first builds a
 * fetch Headers object of every header, with validation; with the response's Headers that was
 * about 6% of /v1/me's CPU (measured with --profile). Repeated headers are joined with ", " as
 * fetch does.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = incomingOf(c)
  if (!incoming) return c.req.header(name)
  return nodeHeader(incoming, name)
}

/** A header of node's request, as requestHeader reads it. */
export function nodeHeader(incoming: IncomingMessage, name: string): string | undefined {
  return incoming.headersDistinct[name.toLowerCase()]?.join(', ')
}

/** One cookie of the request (Hono's parser on the Cookie header), or undefined. */
export function requestCookie(c: Context, name: string): string | undefined {
  const header = requestHeader(c, 'cookie')
  return header === undefined ? undefined : parseCookies(header, name)[name]
}

/**
 * A JSON response with plain headers: under @hono/node-server it is written straight to node
 * without building fetch Headers (c.header() and c.json() build them for every response).
 */
export function jsonResponse(
  body: unknown,
  status: number,
  headers: Record<string, string>,
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

/**
 * A redirect with plain headers and an empty body, written straight to node as jsonResponse is.
 * c.redirect() builds fetch Headers and a body-less Response, which @hono/node-server turns into
 * a whole fetch Response per redirect and sends chunked, with a text/plain type. Headers a handler
 * set through `c` (cookies) are not carried over: those handlers use c.redirect().
 */
export function redirectResponse(
  location: string,
  status: 302 | 303,
  headers: Record<string, string> = {},
): Response {
  return new Response('', { status, headers: { Location: location, ...headers } })
}
