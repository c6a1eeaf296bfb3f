import { Command, CommanderError } from 'commander'
import { ConfigError } from '../config.ts'
import { CliError } from './options.ts'
import { serveCommand, devCommand, migrateCommand } from './serve.ts'
import { clientCommands } from './clients.ts'
import { userCommands } from './users.ts'
import { keyCommands } from './keys.ts'

const program = new Command()
  .name('pixie')
  .description('Pixie: an OAuth 2.1 authorization server (Authorization Code + PKCE)')
  .showHelpAfterError()
  .exitOverride()

serveCommand(program)
devCommand(program)
migrateCommand(program)
clientCommands(program)
userCommands(program)
keyCommands(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode)
  if (err instanceof ConfigError || err instanceof CliError) {
    process.stderr.write(`pixie: ${err.message}\n`)
    process.exit(2)
  }
  process.stderr.write(`pixie: ${(err as Error).message ?? String(err)}\n`)
  process.exit(1)
}
