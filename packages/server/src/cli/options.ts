import { InvalidArgumentError } from 'commander'
import { loadConfig } from '../config.ts'

export class CliError extends Error {}

export function port(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)')
  return n
}

/** Options every command that touches the database shares. */
export function configFrom(opts: { config?: string; database?: string; port?: number }) {
  const overrides: Record<string, unknown> = {}
  if (opts.database) overrides.database = opts.database
  if (opts.port !== undefined) overrides.port = opts.port
  return loadConfig(opts.config, process.env, overrides)
}
