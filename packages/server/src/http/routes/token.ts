import type { Context, Hono } from 'hono'
import { asOAuthError, InvalidClient, type OAuthError } from '../../core/errors.ts'
import { tokenRequest } from '../../core/token/index.ts'
import type { ClientRecord } from '../../storage/store.ts'
import { jsonResponse, requestHeader, type AppDeps } from '../context.ts'
import { readForm } from '../form.ts'
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
export function tokenRoutes(app: Hono, deps: AppDeps): void {
  const { store, cors } = deps
  const policy = tokenPolicy(deps)

  app.options('/api/token', (c) => cors.preflight(c, 'Content-Type, Authorization'))

  app.post('/api/token', async (c) => {
    let client: ClientRecord | undefined
    const getClient = async (id: string) => {
      client = await store.getClient(id)
      // Counted once the client is known: unknown client_ids create no counters.
      const blocked = client && (await deps.rateLimits.tokenRequest(client.clientId))
      if (blocked) throw new RateLimited(blocked.retryAfter)
      return client
    }
    try {
      const body = await readForm(c)
      const response = await tokenRequest(
        store,
        body,
        requestHeader(c, 'authorization'),
        policy,
        SUPPORTED_SCOPES,
        deps.now(),
        getClient,
      )
      const headers = await cors.headers(requestHeader(c, 'origin'), client)
      // RFC 6749 5.1: token responses must not be cached.
      headers['Cache-Control'] = 'no-store'
      return jsonResponse(response, 200, headers)
    } catch (err) {
      const error = asOAuthError(err)
      if (error.status >= 500) deps.log('error', 'token endpoint failed', { err: String(err) })
      c.header('Cache-Control', 'no-store')
      await cors.apply(c, client)
      return tokenError(c, error)
    }
  })
}

/** RFC 6749 5.2 error response; 401 + WWW-Authenticate when the client tried HTTP Basic. */
export function tokenError(c: Context, error: OAuthError): Response {
  if (error instanceof InvalidClient && error.basic) {
    c.header('WWW-Authenticate', 'Basic realm="pixie", charset="UTF-8"')
  }
  // RFC 6585 4 / RFC 9110 10.2.3: when to try again.
  if (error instanceof RateLimited) c.header('Retry-After', String(error.retryAfter))
  else if (error.status === 503) c.header('Retry-After', '5')
  return c.json(error.toJSON(), error.status as 400 | 401 | 429 | 500 | 503)
}
