import type { Context } from 'hono'
import { originOf } from '../core/redirect-uri.ts'
import type { ClientRecord, Store } from '../storage/store.ts'
import { requestHeader } from './context.ts'

const METHODS: Record<string, string> = { '/v1/me': 'GET', '/userinfo': 'GET, POST' }

/**
 * CORS for the endpoints a single-page app calls with fetch (/api/token, /api/revoke, /v1/me): an origin is
 * allowed exactly when it is the origin (scheme, host, port) of a redirect URI of the client
 * the request belongs to. A preflight, or a response that cannot be tied to a client (a token we
 * do not know), is allowed for the origins of all registered clients, and no other.
 */
export class CorsPolicy {
  private cache: { at: number; origins: Set<string> } | null = null

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5000,
  ) {}

  static clientOrigins(client: ClientRecord): Set<string> {
    const out = new Set<string>()
    for (const uri of client.redirectUris) {
      const o = originOf(uri)
      if (o) out.add(o)
    }
    return out
  }

  async anyClientOrigin(origin: string): Promise<boolean> {
    const now = Date.now()
    if (!this.cache || now - this.cache.at > this.ttlMs) {
      const origins = new Set<string>()
      for (const client of await this.store.listClients()) {
        for (const o of CorsPolicy.clientOrigins(client)) origins.add(o)
      }
      this.cache = { at: now, origins }
    }
    return this.cache.origins.has(origin)
  }

  /** Answers a preflight (OPTIONS) request. */
  async preflight(c: Context, allowHeaders: string): Promise<Response> {
    const origin = requestHeader(c, 'origin')
    c.header('Vary', 'Origin')
    if (origin && (await this.anyClientOrigin(origin))) {
      c.header('Access-Control-Allow-Origin', origin)
      c.header('Access-Control-Allow-Methods', METHODS[c.req.path] ?? 'POST')
      c.header('Access-Control-Allow-Headers', allowHeaders)
      c.header('Access-Control-Max-Age', '600')
    }
    return c.body(null, 204)
  }

  /** Adds the CORS headers to an actual response, for `client` when it is known. */
  async apply(c: Context, client: ClientRecord | undefined): Promise<void> {
    const headers = await this.headers(requestHeader(c, 'origin'), client)
    for (const name in headers) c.header(name, headers[name])
  }

  /** The CORS headers of an actual response to `origin`, for `client` when it is known. */
  async headers(
    origin: string | undefined,
    client: ClientRecord | undefined,
  ): Promise<Record<string, string>> {
    const headers: Record<string, string> = { Vary: 'Origin' }
    if (!origin) return headers
    const allowed = client
      ? CorsPolicy.clientOrigins(client).has(origin)
      : await this.anyClientOrigin(origin)
    if (allowed) {
      headers['Access-Control-Allow-Origin'] = origin
      headers['Access-Control-Expose-Headers'] = 'WWW-Authenticate'
    }
    return headers
  }
}
