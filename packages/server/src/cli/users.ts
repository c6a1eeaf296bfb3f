import { randomUUID } from 'node:crypto'
import type { Command } from 'commander'
import { userConfigSchema } from '../config.ts'
import { hashPassword } from '../crypto/password.ts'
import { CliError, configFrom } from './options.ts'
import { withStore } from './store.ts'

interface DbOpts {
  config?: string
  database?: string
}

export function userCommands(program: Command): void {
  const user = program.command('user').description('manage users')

  user
    .command('add')
    .description('add a user (password from --password-stdin, or PIXIE_USER_PASSWORD)')
    .argument('<username>')
    .requiredOption('--name <name>', 'display name')
    .option('--email <email>', 'email address')
    .option('--password-stdin', 'read the password from standard input')
    .option('-c, --config <file>')
    .option('--database <url>')
    .action(
      async (
        username: string,
        opts: DbOpts & { name: string; email?: string; passwordStdin?: boolean },
      ) => {
        const password = opts.passwordStdin
          ? (await readStdin()).replace(/\r?\n$/, '')
          : process.env.PIXIE_USER_PASSWORD || undefined
        if (password === undefined) {
          throw new CliError('a password is required: use --password-stdin or PIXIE_USER_PASSWORD')
        }
        const parsed = userConfigSchema.safeParse({
          username,
          password,
          name: opts.name,
          email: opts.email,
        })
        if (!parsed.success) {
          const lines = parsed.error.issues.map((i) => `  - ${String(i.path[0])}: ${i.message}`)
          throw new CliError(`invalid user:\n${lines.join('\n')}`)
        }
        const u = parsed.data
        await withStore(configFrom(opts), async (store) => {
          const ok = await store.createUser({
            id: randomUUID(),
            username: u.username,
            passwordHash: await hashPassword(u.password),
            name: u.name,
            email: u.email ?? null,
            createdAt: Math.floor(Date.now() / 1000),
          })
          if (!ok) throw new CliError(`user ${username} already exists`)
        })
        process.stdout.write(`user ${username} added\n`)
      },
    )

  user
    .command('list')
    .description('list users')
    .option('-c, --config <file>')
    .option('--database <url>')
    .option('--json', 'print as JSON')
    .action(async (opts: DbOpts & { json?: boolean }) => {
      const users = await withStore(configFrom(opts), (s) => s.listUsers())
      const rows = users.map((u) => ({
        id: u.id,
        username: u.username,
        name: u.name,
        email: u.email,
      }))
      if (opts.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
      else if (rows.length === 0) process.stdout.write('no users\n')
      else
        for (const r of rows)
          process.stdout.write(`${r.username}\t${r.name}\t${r.email ?? ''}\t${r.id}\n`)
    })

  user
    .command('remove')
    .description('remove a user with their sessions, consents and tokens')
    .argument('<username>')
    .option('-c, --config <file>')
    .option('--database <url>')
    .action(async (username: string, opts: DbOpts) => {
      const removed = await withStore(configFrom(opts), (s) => s.deleteUser(username))
      if (!removed) throw new CliError(`no user ${username}`)
      process.stdout.write(`user ${username} removed\n`)
    })
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
