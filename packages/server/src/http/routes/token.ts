import type { Context, Hono } from 'hono'
import { asOAuthError, InvalidClient, type OAuthError } from '../../core/errors.ts'
import { tokenRequest } from '../../core/token/index.ts'
import type { ClientRecord } from '../../storage/store.ts'
import { honoEndpoint, plainJson, type AppDeps, type Endpoint } from '../context.ts'
import type { DirectRoutes } from '../direct-routes.ts'
import { readPlainForm } from '../form.ts'
import { RateLimited } from '../../rate-limit.ts'
import { SCOPES } from '../../config.ts'
import type { RefreshPolicy } from '../../core/token/refresh-token.ts'

const SUPPORTED_SCOPES = Object.keys(SCOPES)

/** The token settings of the configuration, with the shared key ring as signer. */
export function tokenPolicy(deps: AppDeps): RefreshPolicy {
  const { config } = deps
  return {
    accessTokenTtl: config.access_token_ttl,
    refreshTokenTtl: config.refresh_token_ttl,
    reuseInterval: config.refresh_token_reuse_interval,
    issuer: config.issuer,
    accessTokenFormat: config.access_token_format,
    idTokenTtl: config.id_token_ttl,
    defaultAudience: config.issuer,
    signer: (now) => deps.keys.signer(now),
  }
}

/** POST /api/token (RFC 6749 3.2). Rules live in core/token; this is only the HTTP edge. */
export function tokenEndpoint(deps: AppDeps): Endpoint {
  const { store, cors } = deps
  const policy = tokenPolicy(deps)
  return async (req) => {
    let client: ClientRecord | undefined
    const getClient = async (id: string) => {
      client = await store.getClient(id)
      // Counted once the client is known: unknown client_ids create no counters.
      const blocked = client && (await deps.rateLimits.tokenRequest(client.clientId))
      if (blocked) throw new RateLimited(blocked.retryAfter)
      return client
    }
    try {
      const body = await readPlainForm(req)
      const response = await tokenRequest(
        store,
        body,
        req.header('authorization'),
        policy,
        SUPPORTED_SCOPES,
        deps.now(),
        getClient,
      )
      const headers = await cors.headers(req.header('origin'), client)
      // RFC 6749 5.1: token responses must not be cached.
      headers['Cache-Control'] = 'no-store'
      return plainJson(200, headers, response)
    } catch (err) {
      const error = asOAuthError(err)
      if (error.status >= 500) deps.log('error', 'token endpoint failed', { err: String(err) })
      // With the database away, the allowed origins are unknown: none is allowed.
      const headers: Record<string, string> = await cors
        .headers(req.header('origin'), client)
        .catch(() => ({ Vary: 'Origin' }))
      headers['Cache-Control'] = 'no-store'
      return plainJson(
        error.status,
        Object.assign(headers, tokenErrorHeaders(error)),
        error.toJSON(),
      )
    }
  }
}

export function tokenRoutes(app: Hono, deps: AppDeps, direct: DirectRoutes): void {
  app.options('/api/token', (c) => deps.cors.preflight(c, 'Content-Type, Authorization'))
  const endpoint = tokenEndpoint(deps)
  app.post('/api/token', honoEndpoint(endpoint))
  direct.add('POST', '/api/token', endpoint)
}

/** RFC 6749 5.2 error response; 401 + WWW-Authenticate when the client tried HTTP Basic. */
export function tokenError(c: Context, error: OAuthError): Response {
  const headers = tokenErrorHeaders(error)
  for (const name in headers) c.header(name, headers[name])
  return c.json(error.toJSON(), error.status as 400 | 401 | 429 | 500 | 503)
}

function tokenErrorHeaders(error: OAuthError): Record<string, string> {
  const headers: Record<string, string> = {}
  if (error instanceof InvalidClient && error.basic) {
    headers['WWW-Authenticate'] = 'Basic realm="pixie", charset="UTF-8"'
  }
  // RFC 6585 4 / RFC 9110 10.2.3: when to try again.
  if (error instanceof RateLimited) headers['Retry-After'] = String(error.retryAfter)
  else if (error.status === 503) headers['Retry-After'] = '5'
  return headers
}
