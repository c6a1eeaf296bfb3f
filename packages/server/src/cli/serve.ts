import type { Command } from 'commander'
import { startServer, type RunningServer } from '../server.ts'
import { clientRecord } from '../seed.ts'
import { startDemoServer } from './demo-server.ts'
import { openStore } from '../storage/index.ts'
import { configFrom, port } from './options.ts'
import { parseConfig, type Config } from '../config.ts'

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('start the authorization server')
    .option('-c, --config <file>', 'JSON configuration file')
    .option('-p, --port <port>', 'port to listen on (overrides the config)', port)
    .option('--database <url>', 'sqlite:<path> or postgres://... (overrides the config)')
    .option(
      '--no-migrate',
      'do not migrate on start (production: run `pixie migrate` once per release instead)',
    )
    .action(
      async (opts: { config?: string; port?: number; database?: string; migrate: boolean }) => {
        const config = configFrom(opts)
        // Migrating on start is safe with several processes starting at once: the migrator holds
        // a PostgreSQL advisory lock, and the others find the schema up to date.
        const running = await startServer(config, { migrate: opts.migrate })
        process.stdout.write(`Pixie listening on ${running.url} (issuer ${running.issuer})\n`)
        stopOnSignals(running.close)
      },
    )
}

export const DEMO_USER = {
  username: 'demo',
  password: 'pixie-demo-password',
  name: 'Demo User',
  email: 'demo@example.com',
}
export const DEMO_CLIENT_ID = 'pixie-demo'

export interface DevOptions {
  port: number
  host: string
  database: string
  issuer?: string
  /** A built single-page app (apps/demo/dist) to serve on `demoPort`. */
  demoDir?: string
  demoPort?: number
  redirectUris?: string[]
  logLevel?: Config['log_level']
}

export interface RunningDev {
  pixie: RunningServer
  /** The demo's origin when `demoDir` was given. */
  demoUrl?: string
  close(): Promise<void>
}

/**
 * Pixie with the demo client and user, and optionally the built demo on a second port of the
 * same host. The demo's own origin is registered as a redirect URI (and so allowed by CORS).
 */
export async function startDev(opts: DevOptions): Promise<RunningDev> {
  const demo = opts.demoDir
    ? await startDemoServer({ dir: opts.demoDir, port: opts.demoPort ?? 5173, host: opts.host })
    : undefined
  const redirectUris = [
    ...new Set([
      'http://localhost:5173/callback',
      'http://127.0.0.1:5173/callback',
      ...(demo ? [`${demo.url}/callback`] : []),
      ...(opts.redirectUris ?? []),
    ]),
  ]
  try {
    const config = parseConfig({
      port: opts.port,
      host: opts.host,
      ...(opts.issuer ? { issuer: opts.issuer } : {}),
      database: opts.database,
      ...(opts.logLevel ? { log_level: opts.logLevel } : {}),
      clients: [
        {
          client_id: DEMO_CLIENT_ID,
          client_name: 'Pixie Demo',
          redirect_uris: redirectUris,
          token_endpoint_auth_method: 'none',
          scope: 'profile email',
        },
      ],
      users: [DEMO_USER],
    })
    const pixie = await startServer(config)
    // A database from an earlier run may hold the demo client with other redirect URIs.
    const existing = await pixie.store.getClient(DEMO_CLIENT_ID)
    if (existing && redirectUris.some((u) => !existing.redirectUris.includes(u))) {
      await pixie.store.deleteClient(DEMO_CLIENT_ID)
      await pixie.store.createClient(
        clientRecord(config.clients[0]!, Math.floor(Date.now() / 1000)),
      )
    }
    demo?.configure({
      issuer: pixie.issuer,
      clientId: DEMO_CLIENT_ID,
      demoUser: { username: DEMO_USER.username, password: DEMO_USER.password },
    })
    return {
      pixie,
      ...(demo ? { demoUrl: demo.url } : {}),
      async close() {
        await demo?.close()
        await pixie.close()
      },
    }
  } catch (err) {
    await demo?.close()
    throw err
  }
}

export function devCommand(program: Command): void {
  program
    .command('dev')
    .description('development mode: embedded database under ./data, a demo client and user')
    .option('-p, --port <port>', 'port to listen on', port)
    .option('--redirect-uri <uri...>', 'extra redirect URIs for the demo client')
    .option('--demo <dir>', 'also serve this built demo app (apps/demo/dist) on --demo-port')
    .option('--demo-port <port>', 'port of the demo app (default 5173)', port)
    .action(
      async (opts: { port?: number; redirectUri?: string[]; demo?: string; demoPort?: number }) => {
        const database = process.env.PIXIE_DATABASE_URL ?? 'sqlite:./data/pixie.db'
        const running = await startDev({
          port: opts.port ?? Number(process.env.PIXIE_PORT ?? 3000),
          host: process.env.PIXIE_HOST ?? '127.0.0.1',
          ...(process.env.PIXIE_ISSUER ? { issuer: process.env.PIXIE_ISSUER } : {}),
          database,
          ...(opts.demo ? { demoDir: opts.demo } : {}),
          demoPort: opts.demoPort ?? Number(process.env.PIXIE_DEMO_PORT ?? 5173),
          ...(opts.redirectUri ? { redirectUris: opts.redirectUri } : {}),
        })
        const { pixie, demoUrl } = running
        process.stdout.write(
          [
            `Pixie (development) listening on ${pixie.url}`,
            `  database:      ${redact(database)}`,
            `  metadata:      ${pixie.issuer}/.well-known/oauth-authorization-server`,
            `  demo client:   client_id=${DEMO_CLIENT_ID} (public, PKCE)`,
            `  demo user:     username=${DEMO_USER.username} password=${DEMO_USER.password}`,
            ...(demoUrl
              ? [
                  '',
                  `  Open ${demoUrl} and sign in as ${DEMO_USER.username} / ${DEMO_USER.password}`,
                ]
              : []),
            '',
          ].join('\n'),
        )
        stopOnSignals(running.close)
      },
    )
}

/** A database URL without its password, for printing. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@')
}

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .option('-c, --config <file>', 'JSON configuration file')
    .option('--database <url>', 'sqlite:<path> or postgres://...')
    .action(async (opts: { config?: string; database?: string }) => {
      const config = configFrom(opts)
      const store = await openStore(config.database, { poolSize: 1 })
      try {
        // Safe to run while servers are up and from several places at once (advisory lock).
        await store.migrate()
        process.stdout.write('database is up to date\n')
      } finally {
        await store.close()
      }
    })
}

function stopOnSignals(close: () => Promise<void>): void {
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
