import type { Hono } from 'hono'
import { userEndpoint } from '../bearer-endpoint.ts'
import { honoEndpoint, type AppDeps } from '../context.ts'
import type { DirectRoutes } from '../direct-routes.ts'

/** GET /v1/me: the signed-in user's profile, behind a bearer token with the `profile` scope. */
export function meRoutes(app: Hono, deps: AppDeps, direct: DirectRoutes): void {
  app.options('/v1/me', (c) => deps.cors.preflight(c, 'Authorization'))
  const endpoint = userEndpoint(deps, '/v1/me', 'profile', (record, user) => {
    const profile: Record<string, string> = { id: user.id, display_name: user.name }
    if (record.scope.includes('email') && user.email) profile.email = user.email
    return profile
  })
  app.get('/v1/me', honoEndpoint(endpoint))
  direct.add('GET', '/v1/me', endpoint)
}
