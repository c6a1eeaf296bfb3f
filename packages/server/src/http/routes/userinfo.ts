import type { Hono } from 'hono'
import { userInfoClaims } from '../../core/userinfo.ts'
import { userEndpoint } from '../bearer-endpoint.ts'
import { honoEndpoint, type AppDeps } from '../context.ts'
import type { DirectRoutes } from '../direct-routes.ts'

/**
 * The OIDC UserInfo endpoint (OIDC Core 5.3), GET and POST, behind a bearer token that carries
 * the `openid` scope (the access token must come from an OpenID Connect request).
 */
export function userinfoRoutes(app: Hono, deps: AppDeps, direct: DirectRoutes): void {
  app.options('/userinfo', (c) => deps.cors.preflight(c, 'Authorization'))
  const endpoint = userEndpoint(deps, '/userinfo', 'openid', userInfoClaims)
  const handler = honoEndpoint(endpoint)
  app.get('/userinfo', handler)
  app.post('/userinfo', handler)
  direct.add('GET', '/userinfo', endpoint)
}
