import type { Command } from 'commander'
import { startServer } from '../server.ts'
import { openStore } from '../storage/index.ts'
import { configFrom, port } from './options.ts'
import { parseConfig } from '../config.ts'

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('start the authorization server')
    .option('-c, --config <file>', 'JSON configuration file')
    .option('-p, --port <port>', 'port to listen on (overrides the config)', port)
    .option('--database <url>', 'sqlite:<path> or postgres://... (overrides the config)')
    .action(async (opts: { config?: string; port?: number; database?: string }) => {
      const config = configFrom(opts)
      const running = await startServer(config)
      process.stdout.write(`Pixie listening on ${running.url} (issuer ${running.issuer})\n`)
      stopOnSignals(running.close)
    })
}

export const DEMO_USER = {
  username: 'demo',
  password: 'pixie-demo-password',
  name: 'Demo User',
  email: 'demo@example.com',
}
export const DEMO_CLIENT_ID = 'pixie-demo'

export function devCommand(program: Command): void {
  program
    .command('dev')
    .description('development mode: embedded database under ./data, a demo client and user')
    .option('-p, --port <port>', 'port to listen on', port)
    .option('--redirect-uri <uri...>', 'extra redirect URIs for the demo client')
    .action(async (opts: { port?: number; redirectUri?: string[] }) => {
      const port = opts.port ?? Number(process.env.PIXIE_PORT ?? 3000)
      const config = parseConfig({
        port,
        host: process.env.PIXIE_HOST ?? '127.0.0.1',
        ...(process.env.PIXIE_ISSUER ? { issuer: process.env.PIXIE_ISSUER } : {}),
        database: process.env.PIXIE_DATABASE_URL ?? 'sqlite:./data/pixie.db',
        clients: [
          {
            client_id: DEMO_CLIENT_ID,
            client_name: 'Pixie Demo',
            redirect_uris: [
              'http://localhost:5173/callback',
              'http://127.0.0.1:5173/callback',
              ...(opts.redirectUri ?? []),
            ],
            token_endpoint_auth_method: 'none',
            scope: 'profile email',
          },
        ],
        users: [DEMO_USER],
      })
      const running = await startServer(config)
      process.stdout.write(
        [
          `Pixie (development) listening on ${running.url}`,
          `  database:      ${config.database}`,
          `  metadata:      ${running.issuer}/.well-known/oauth-authorization-server`,
          `  demo client:   client_id=${DEMO_CLIENT_ID} (public, PKCE)`,
          `  demo user:     username=${DEMO_USER.username} password=${DEMO_USER.password}`,
          '',
        ].join('\n'),
      )
      stopOnSignals(running.close)
    })
}

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .option('-c, --config <file>', 'JSON configuration file')
    .option('--database <url>', 'sqlite:<path> or postgres://...')
    .action(async (opts: { config?: string; database?: string }) => {
      const config = configFrom(opts)
      const store = await openStore(config.database)
      try {
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
