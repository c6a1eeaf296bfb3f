import type { Hono } from 'hono'
import { asOAuthError } from '../../core/errors.ts'
import { readUniqueParams } from '../../core/params.ts'
import { revokeToken } from '../../core/revocation.ts'
import { authenticateClient } from '../../core/token/client-auth.ts'
import type { ClientRecord } from '../../storage/store.ts'
import { requestHeader, type AppDeps } from '../context.ts'
import { readForm } from '../form.ts'
import { tokenError } from './token.ts'

/** POST /api/revoke (RFC 7009): same client authentication and CORS as the token endpoint. */
export function revokeRoutes(app: Hono, deps: AppDeps): void {
  const { store, cors } = deps

  app.options('/api/revoke', (c) => cors.preflight(c, 'Content-Type, Authorization'))

  app.post('/api/revoke', async (c) => {
    c.header('Cache-Control', 'no-store')
    let client: ClientRecord | undefined
    const getClient = async (id: string) => (client = await store.getClient(id))
    try {
      const params = readUniqueParams(await readForm(c))
      const authenticated = await authenticateClient(
        requestHeader(c, 'authorization'),
        params,
        getClient,
      )
      await revokeToken(store, authenticated, params, deps.now())
      await cors.apply(c, client)
      return c.body(null, 200)
    } catch (err) {
      const error = asOAuthError(err)
      if (error.status >= 500) deps.log('error', 'revocation failed', { err: String(err) })
      await cors.apply(c, client)
      return tokenError(c, error)
    }
  })
}
