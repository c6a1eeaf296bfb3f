import type { Hono } from 'hono'
import { asOAuthError } from '../../core/errors.ts'
import { checkIntrospector, introspectToken } from '../../core/introspection.ts'
import { readUniqueParams } from '../../core/params.ts'
import { authenticateClient } from '../../core/token/client-auth.ts'
import { requestHeader, type AppDeps } from '../context.ts'
import { readForm } from '../form.ts'
import { tokenError } from './token.ts'

/** POST /api/introspect (RFC 7662), for confidential clients (client_secret_basic / _post). */
export function introspectRoutes(app: Hono, deps: AppDeps): void {
  const { store, config } = deps

  app.post('/api/introspect', async (c) => {
    c.header('Cache-Control', 'no-store')
    try {
      const params = readUniqueParams(await readForm(c))
      const client = await authenticateClient(requestHeader(c, 'authorization'), params, (id) =>
        store.getClient(id),
      )
      checkIntrospector(client)
      return c.json(await introspectToken(store, client, params, config.issuer, deps.now()))
    } catch (err) {
      const error = asOAuthError(err)
      if (error.status >= 500) deps.log('error', 'introspection failed', { err: String(err) })
      return tokenError(c, error)
    }
  })
}
