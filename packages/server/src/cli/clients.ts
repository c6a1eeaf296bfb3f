import type { Command } from 'commander'
import { clientConfigSchema } from '../config.ts'
import { randomToken } from '../crypto/hash.ts'
import { clientRecord } from '../seed.ts'
import { CliError, configFrom } from './options.ts'
import { withStore } from './store.ts'

interface DbOpts {
  config?: string
  database?: string
}

const collect = (v: string, prev: string[] = []) => [...prev, v]

export function clientCommands(program: Command): void {
  const client = program.command('client').description('manage OAuth clients')

  client
    .command('add')
    .description('register a client; a confidential client gets a generated secret, shown once')
    .argument('<client_id>')
    .requiredOption('--redirect-uri <uri>', 'a redirect URI (repeat for several)', collect)
    .option('--name <name>', 'client_name shown on the consent page')
    .option('--auth-method <method>', 'none | client_secret_basic | client_secret_post', 'none')
    .option('--scope <scope>', 'space-separated scopes the client may request', 'profile email')
    .option('--no-refresh', 'do not issue refresh tokens to this client')
    .option('--client-credentials', 'also allow the client_credentials grant (confidential only)')
    .option(
      '--post-logout-redirect-uri <uri>',
      'where /logout may send the user afterwards (repeat for several)',
      collect,
    )
    .option('--access-token-format <format>', 'jwt | opaque (default: the server setting)')
    .option('-c, --config <file>')
    .option('--database <url>')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        clientId: string,
        opts: DbOpts & {
          redirectUri: string[]
          name?: string
          authMethod: string
          scope: string
          refresh: boolean
          clientCredentials?: boolean
          postLogoutRedirectUri?: string[]
          accessTokenFormat?: string
          json?: boolean
        },
      ) => {
        const config = configFrom(opts)
        const confidential = opts.authMethod !== 'none'
        const secret = confidential ? randomToken(32) : undefined
        const parsed = clientConfigSchema.safeParse({
          client_id: clientId,
          client_name: opts.name,
          redirect_uris: opts.redirectUri,
          token_endpoint_auth_method: opts.authMethod,
          client_secret: secret,
          grant_types: [
            'authorization_code',
            ...(opts.refresh ? ['refresh_token'] : []),
            ...(opts.clientCredentials ? ['client_credentials'] : []),
          ],
          scope: opts.scope,
          post_logout_redirect_uris: opts.postLogoutRedirectUri,
          access_token_format: opts.accessTokenFormat,
        })
        if (!parsed.success) {
          const lines = parsed.error.issues.map((i) => `  - ${optionName(i.path)}: ${i.message}`)
          throw new CliError(`invalid client:\n${lines.join('\n')}`)
        }
        await withStore(config, async (store) => {
          if (
            !(await store.createClient(clientRecord(parsed.data, Math.floor(Date.now() / 1000))))
          ) {
            throw new CliError(`client ${clientId} already exists`)
          }
        })
        if (opts.json) {
          process.stdout.write(
            JSON.stringify({ client_id: clientId, client_secret: secret }) + '\n',
          )
        } else {
          process.stdout.write(`client ${clientId} added\n`)
          if (secret)
            process.stdout.write(
              `client_secret: ${secret}\n(shown once; only its hash is stored)\n`,
            )
        }
      },
    )

  client
    .command('list')
    .description('list clients')
    .option('-c, --config <file>')
    .option('--database <url>')
    .option('--json', 'print as JSON')
    .action(async (opts: DbOpts & { json?: boolean }) => {
      const clients = await withStore(configFrom(opts), (s) => s.listClients())
      const rows = clients.map((c) => ({
        client_id: c.clientId,
        client_name: c.clientName,
        token_endpoint_auth_method: c.tokenEndpointAuthMethod,
        redirect_uris: c.redirectUris,
        grant_types: c.grantTypes,
        scope: c.scope.join(' '),
      }))
      if (opts.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
      else if (rows.length === 0) process.stdout.write('no clients\n')
      else
        for (const r of rows) {
          process.stdout.write(
            `${r.client_id}\t${r.token_endpoint_auth_method}\t${r.scope}\t${r.redirect_uris.join(' ')}\n`,
          )
        }
    })

  client
    .command('remove')
    .description('remove a client and everything issued to it')
    .argument('<client_id>')
    .option('-c, --config <file>')
    .option('--database <url>')
    .action(async (clientId: string, opts: DbOpts) => {
      const removed = await withStore(configFrom(opts), (s) => s.deleteClient(clientId))
      if (!removed) throw new CliError(`no client ${clientId}`)
      process.stdout.write(`client ${clientId} removed\n`)
    })
}

function optionName(path: PropertyKey[]): string {
  const map: Record<string, string> = {
    client_id: '<client_id>',
    client_name: '--name',
    redirect_uris: '--redirect-uri',
    token_endpoint_auth_method: '--auth-method',
    scope: '--scope',
    grant_types: '--client-credentials',
    post_logout_redirect_uris: '--post-logout-redirect-uri',
    access_token_format: '--access-token-format',
  }
  const key = String(path[0] ?? '')
  return (map[key] ?? key) + (path.length > 1 ? ` #${Number(path[1]) + 1}` : '')
}
