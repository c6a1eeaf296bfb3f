import { serve, type ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { localIssuer, type Config } from './config.ts'
import { createApp } from './http/app.ts'
import { seed } from './seed.ts'
import { openStore } from './storage/index.ts'
import type { Store } from './storage/store.ts'

export interface RunningServer {
  /** Where this process listens. */
  url: string
  issuer: string
  port: number
  store: Store
  server: ServerType
  close(): Promise<void>
}

const CLEANUP_EVERY_MS = 60_000

/**
 * Opens the store, migrates, creates the configured seeds, and listens. Expired rows are swept
 * by a timer inside the server process: no cron job needed.
 */
export async function startServer(
  config: Config,
  opts: { store?: Store } = {},
): Promise<RunningServer> {
  const store = opts.store ?? (await openStore(config.database))
  await store.migrate()
  await seed(store, config)
  // The app is made once the port is known: with port 0 the derived issuer needs it.
  let handler: (req: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 })
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      { fetch: (req) => handler(req), port: config.port, hostname: config.host },
      () => resolve(s),
    )
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  const effective = config.issuer_derived
    ? { ...config, port, issuer: localIssuer(config.host, port) }
    : config
  const app = createApp({ store, config: effective })
  handler = app.fetch
  const sweep = setInterval(() => {
    store.deleteExpired(Math.floor(Date.now() / 1000)).catch(() => {})
  }, CLEANUP_EVERY_MS)
  sweep.unref()
  return {
    url: localIssuer(config.host, port),
    issuer: effective.issuer,
    port,
    store,
    server,
    async close() {
      clearInterval(sweep)
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (!opts.store) await store.close()
    },
  }
}
