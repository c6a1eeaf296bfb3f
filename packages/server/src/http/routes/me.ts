import type { Hono } from 'hono'
import { userEndpoint } from '../bearer-endpoint.ts'
import type { AppDeps } from '../context.ts'

/** GET /v1/me: the signed-in user's profile, behind a bearer token with the `profile` scope. */
export function meRoutes(app: Hono, deps: AppDeps): void {
  app.options('/v1/me', (c) => deps.cors.preflight(c, 'Authorization'))
  app.get(
    '/v1/me',
    userEndpoint(deps, 'profile', (record, user) => {
      const profile: Record<string, string> = { id: user.id, display_name: user.name }
      if (record.scope.includes('email') && user.email) profile.email = user.email
      return profile
    }),
  )
}
