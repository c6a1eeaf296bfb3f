import type { Hono } from 'hono'
import type { AppDeps } from '../context.ts'

/** How long a JWKS may be cached; `pixie keys rotate` activates new keys well after this. */
export const JWKS_MAX_AGE = 300

/** GET /.well-known/jwks.json (RFC 7517 5): the public signing keys, public and cacheable. */
export function jwksRoutes(app: Hono, deps: AppDeps): void {
  app.get('/.well-known/jwks.json', async (c) => {
    const jwks = await deps.keys.jwks(deps.now())
    c.header('Access-Control-Allow-Origin', '*')
    c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE}`)
    c.header('Content-Type', 'application/jwk-set+json')
    return c.body(JSON.stringify(jwks))
  })
}
