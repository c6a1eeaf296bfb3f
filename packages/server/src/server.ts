import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { localIssuer, type Config } from './config.ts'
import { keyRingFor, maxSignedTtl } from './http/app.ts'
import { createRequestListener } from './http/listener.ts'
import { loadPasswordHashing } from './crypto/password.ts'
import { seed } from './seed.ts'
import { createRateLimits, type RateLimits } from './rate-limit.ts'
import { openStore } from './storage/index.ts'
import type { Store } from './storage/store.ts'

export interface RunningServer {
  /** Where this process listens. */
  url: string
  issuer: string
  port: number
  store: Store
  rateLimits: RateLimits
  server: Server
  close(): Promise<void>
}

/**
 * Opens the store, migrates, creates the configured seeds, and listens. Expired rows are swept
 * by a timer inside the server process: no cron job needed.
 */
export async function startServer(
  config: Config,
  opts: { store?: Store; migrate?: boolean; rateLimits?: RateLimits } = {},
): Promise<RunningServer> {
  const store =
    opts.store ??
    (await openStore(config.database, {
      poolSize: config.database_pool_size,
      backgroundCheckpoints: true,
    }))
  // Several processes may start at once: the migrator serializes them (advisory lock on
  // PostgreSQL). `pixie serve --no-migrate` leaves the schema to `pixie migrate`.
  if (opts.migrate !== false) await store.migrate()
  await seed(store, config)
  const rateLimits = opts.rateLimits ?? (await createRateLimits(config, store))
  // The first start generates a signing key; an encrypted key without PIXIE_SECRET fails here.
  const keys = keyRingFor(store, config)
  await keys.ensure(Math.floor(Date.now() / 1000))
  // The app is made once the port is known: with port 0 the derived issuer needs it.
  let listener: RequestListener = (_req, res) => res.writeHead(503).end()
  const server = createServer((req, res) => listener(req, res))
  server.keepAliveTimeout = config.keep_alive_timeout * 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  // Loaded now that /healthz answers; should it fail, sign-ins answer 500 and log why.
  loadPasswordHashing().catch(() => {})
  const effective = config.issuer_derived
    ? { ...config, port, issuer: localIssuer(config.host, port) }
    : config
  listener = createRequestListener({ store, config: effective, rateLimits, keys })
  // Every process sweeps: the deletes are idempotent (`WHERE expires_at <= now`), so N processes
  // sweeping the same rows only repeat each other's work. The first sweep is jittered so they
  // do not all run at the same instant; a failed sweep (database away) is retried next time.
  const sweepMs = config.cleanup_interval * 1000
  const runSweep = () => {
    const now = Math.floor(Date.now() / 1000)
    store.deleteExpired(now).catch(() => {})
    // Keys retired longer ago than any token they signed can live are unpublished.
    store.deleteSigningKeysRetiredBefore(now - maxSignedTtl(config)).catch(() => {})
  }
  let sweep: NodeJS.Timeout = setTimeout(
    () => {
      runSweep()
      sweep = setInterval(runSweep, sweepMs)
      sweep.unref()
    },
    Math.floor(sweepMs * (0.5 + Math.random() / 2)),
  )
  sweep.unref()
  return {
    url: localIssuer(config.host, port),
    issuer: effective.issuer,
    port,
    store,
    rateLimits,
    server,
    async close() {
      clearTimeout(sweep)
      clearInterval(sweep)
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (!opts.rateLimits) await rateLimits.close()
      if (!opts.store) await store.close()
    },
  }
}
