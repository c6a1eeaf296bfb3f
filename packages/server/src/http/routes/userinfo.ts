import type { Hono } from 'hono'
import { userInfoClaims } from '../../core/userinfo.ts'
import { userEndpoint } from '../bearer-endpoint.ts'
import type { AppDeps } from '../context.ts'

/**
 * The OIDC UserInfo endpoint (OIDC Core 5.3), GET and POST, behind a bearer token that carries
 * the `openid` scope (the access token must come from an OpenID Connect request).
 */
export function userinfoRoutes(app: Hono, deps: AppDeps): void {
  app.options('/userinfo', (c) => deps.cors.preflight(c, 'Authorization'))
  const handler = userEndpoint(deps, 'openid', userInfoClaims)
  app.get('/userinfo', handler)
  app.post('/userinfo', handler)
}
