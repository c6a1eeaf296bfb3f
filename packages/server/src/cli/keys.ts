import { InvalidArgumentError, type Command } from 'commander'
import type { Config } from '../config.ts'
import { keyState, rotateSigningKeys } from '../crypto/signing-keys.ts'
import { maxSignedTtl } from '../http/app.ts'
import { JWKS_MAX_AGE } from '../http/routes/jwks.ts'
import { configFrom } from './options.ts'
import { withStore } from './store.ts'

interface DbOpts {
  config?: string
  database?: string
}

/**
 * Seconds a new key waits before it signs, by default: JWKS caches (max-age) and every
 * process's key cache (60 s) have seen it by then, so no verifier meets an unknown kid.
 */
export const DEFAULT_ACTIVATION_DELAY = 3 * JWKS_MAX_AGE

function seconds(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('must be a number of seconds')
  return Number(value)
}

function keyOptions(config: Config) {
  return {
    alg: config.signing_alg,
    secret: process.env.PIXIE_SECRET || undefined,
    maxTokenTtl: maxSignedTtl(config),
  }
}

export function keyCommands(program: Command): void {
  const keys = program.command('keys').description('manage the signing keys (JWKS)')

  keys
    .command('list')
    .description('list the signing keys and their state (pending, active, retired, expired)')
    .option('-c, --config <file>')
    .option('--database <url>')
    .option('--json', 'print as JSON')
    .action(async (opts: DbOpts & { json?: boolean }) => {
      const config = configFrom(opts)
      const now = Math.floor(Date.now() / 1000)
      const rows = (await withStore(config, (s) => s.listSigningKeys())).map((k) => ({
        kid: k.kid,
        alg: k.alg,
        state: keyState(k, now, maxSignedTtl(config)),
        created_at: k.createdAt,
        activates_at: k.activatesAt,
        retired_at: k.retiredAt,
        encrypted: k.privateKey.startsWith('enc:'),
      }))
      if (opts.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
      else if (rows.length === 0) process.stdout.write('no signing keys (one is made at start)\n')
      else
        for (const r of rows) {
          process.stdout.write(`${r.kid}\t${r.alg}\t${r.state}\t${iso(r.activates_at)}\n`)
        }
    })

  keys
    .command('rotate')
    .description(
      'publish a new signing key now; it signs after --activate-in seconds, when the current ' +
        'keys retire (they stay published for the longest token lifetime after that)',
    )
    .option('--activate-in <seconds>', 'delay before the new key signs', seconds)
    .option('-c, --config <file>')
    .option('--database <url>')
    .option('--json', 'print the result as JSON')
    .action(async (opts: DbOpts & { activateIn?: number; json?: boolean }) => {
      const config = configFrom(opts)
      const now = Math.floor(Date.now() / 1000)
      const activatesAt = now + (opts.activateIn ?? DEFAULT_ACTIVATION_DELAY)
      const { key, deleted } = await withStore(config, (s) =>
        rotateSigningKeys(s, keyOptions(config), now, activatesAt),
      )
      if (opts.json) {
        process.stdout.write(
          JSON.stringify({ kid: key.kid, alg: key.alg, activates_at: activatesAt, deleted }) + '\n',
        )
      } else {
        process.stdout.write(
          `new key ${key.kid} (${key.alg}) published; it signs from ${iso(activatesAt)}\n`,
        )
        if (deleted > 0) process.stdout.write(`${deleted} expired key(s) deleted\n`)
      }
    })
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString()
}
