import type { Hono } from 'hono'
import type { AppDeps } from '../context.ts'

/** A readiness check that gets no answer within this long counts as a failure (ms). */
const READY_TIMEOUT_MS = 2000

/**
 * Probes, for orchestrators and load balancers.
 *
 * - `GET /healthz`, liveness: 200 while the process answers HTTP. It does not touch the database:
 *   a PostgreSQL outage is not cured by restarting every Pixie process (they reconnect on their
 *   own), and a liveness probe that failed with the database would turn an outage into a
 *   restart storm.
 * - `GET /readyz`, readiness: 200 when the database answers a query within 2 s, else 503
 *   `{"status":"unavailable"}`; a load balancer sends traffic only to ready processes.
 */
export function healthRoutes(app: Hono, deps: AppDeps): void {
  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store')
    return c.json({ status: 'ok' })
  })

  app.get('/readyz', async (c) => {
    c.header('Cache-Control', 'no-store')
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        deps.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS)
        }),
      ])
      return c.json({ status: 'ok' })
    } catch {
      c.header('Retry-After', '5')
      return c.json({ status: 'unavailable', reason: 'database unreachable' }, 503)
    } finally {
      clearTimeout(timer)
    }
  })
}
