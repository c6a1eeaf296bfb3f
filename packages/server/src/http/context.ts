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

/** Reads a request header by its lower-case name; repeated headers joined with ", ". */
export type HeaderOf = (name: string) => string | undefined

/** What a plain endpoint reads of a request: its headers and its body's bytes. */
export interface PlainRequest {
  header: HeaderOf
  body: AsyncIterable<Uint8Array> | null
}

/** An answer as plain data, for Hono (honoEndpoint) and for node's response (listener.ts). */
export interface PlainResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * An endpoint written without Hono, so listener.ts can serve it straight from node's request
 * (DirectRoutes) and Hono through honoEndpoint: the same answers either way. It never rejects.
 */
export type Endpoint = (req: PlainRequest) => Promise<PlainResponse>

/**
 * A plain endpoint as a Hono handler. The Response has plain headers: under @hono/node-server it
 * is written straight to node without building fetch Headers (c.json() builds them).
 */
export function honoEndpoint(endpoint: Endpoint): (c: Context) => Promise<Response> {
  return async (c) => {
    const { status, headers, body } = await endpoint(plainRequest(c))
    return new Response(body, { status, headers })
  }
}

/** A Hono request as a plain one: headers and body read from node's request when there is one. */
export function plainRequest(c: Context): PlainRequest {
  return { header: (name) => requestHeader(c, name), body: incomingOf(c) ?? c.req.raw.body }
}

/** A JSON answer with plain headers (Content-Type added). */
export function plainJson(
  status: number,
  headers: Record<string, string>,
  body: unknown,
): PlainResponse {
  headers['Content-Type'] = 'application/json'
  return { status, headers, body: JSON.stringify(body) }
}

/** One cookie of the request (Hono's parser on the Cookie header), or undefined. */
export function requestCookie(c: Context, name: string): string | undefined {
  const header = requestHeader(c, 'cookie')
  return header === undefined ? undefined : parseCookies(header, name)[name]
}

/**
 * A redirect with plain headers and an empty body: under @hono/node-server it is written straight
 * to node. c.redirect() builds fetch Headers and a body-less Response, which @hono/node-server
 * turns into a whole fetch Response per redirect and sends chunked. Headers a handler set through
 * `c` (cookies) are not carried over: those handlers use redirectWithContext.
 */
export function redirectResponse(
  location: string,
  status: 302 | 303,
  headers: Record<string, string> = {},
): Response {
  return new Response('', { status, headers: { Location: location, ...headers } })
}

/**
 * A redirect with the headers set through `c` (cookies). Its body is an empty string, not null:
 * @hono/node-server writes a string body at once, with Content-Length: 0 (and its default
 * text/plain type, as it does for any response whose headers were set through `c`).
 */
export function redirectWithContext(c: Context, location: string, status: 302 | 303): Response {
  c.header('Location', location)
  return c.body('', status)
}
