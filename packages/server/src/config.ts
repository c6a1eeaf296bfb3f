import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { redirectUriProblem } from './core/redirect-uri.ts'

/** Scopes Pixie knows and what they mean to a user (shown on the consent page). */
export const SCOPES: Record<string, string> = {
  openid: 'Confirm who you are with your Pixie account',
  profile: 'See your name and account ID',
  email: 'See your email address',
}

const scopeList = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'space-separated scope tokens')
  .refine((s) => s.split(' ').every((x) => x in SCOPES), {
    message: `each scope must be one of: ${Object.keys(SCOPES).join(', ')}`,
  })

const redirectUri = z.string().superRefine((uri, ctx) => {
  const problem = redirectUriProblem(uri)
  if (problem) ctx.addIssue({ code: 'custom', message: `redirect URI ${problem}` })
})

/** RFC 7591 client metadata names. */
export const clientConfigSchema = z
  .object({
    client_id: z.string().regex(/^[\x21-\x7E]{1,128}$/, '1-128 visible ASCII characters'),
    client_name: z.string().min(1).max(200).optional(),
    /** Required unless the client only uses client_credentials. */
    redirect_uris: z.array(redirectUri).default([]),
    token_endpoint_auth_method: z
      .enum(['none', 'client_secret_basic', 'client_secret_post'])
      .default('none'),
    client_secret: z.string().min(32, 'at least 32 characters').max(512).optional(),
    grant_types: z
      .array(z.enum(['authorization_code', 'refresh_token', 'client_credentials']))
      .min(1)
      .default(['authorization_code', 'refresh_token']),
    scope: scopeList.default('profile email'),
    /** Pixie extension: this client's access token format; the server default when absent. */
    access_token_format: z.enum(['jwt', 'opaque']).optional(),
    /** OpenID Connect RP-Initiated Logout 1.0, 3.1: exact matches, like redirect_uris. */
    post_logout_redirect_uris: z.array(redirectUri).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const confidential = c.token_endpoint_auth_method !== 'none'
    if (confidential && !c.client_secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['client_secret'],
        message: 'required for this auth method',
      })
    }
    if (!confidential && c.client_secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['client_secret'],
        message: 'public clients have no secret',
      })
    }
    const code = c.grant_types.includes('authorization_code')
    if (!code && !c.grant_types.includes('client_credentials')) {
      ctx.addIssue({
        code: 'custom',
        path: ['grant_types'],
        message: 'must include authorization_code or client_credentials',
      })
    }
    if (code && c.redirect_uris.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirect_uris'],
        message: 'at least one redirect URI is required for authorization_code',
      })
    }
    if (!code && c.grant_types.includes('refresh_token')) {
      ctx.addIssue({
        code: 'custom',
        path: ['grant_types'],
        message:
          'refresh_token needs authorization_code (client_credentials gets no refresh token)',
      })
    }
    // RFC 6749 4.4: only a client that can authenticate may use client_credentials.
    if (!confidential && c.grant_types.includes('client_credentials')) {
      ctx.addIssue({
        code: 'custom',
        path: ['grant_types'],
        message: 'client_credentials needs a confidential client',
      })
    }
  })

export const userConfigSchema = z
  .object({
    username: z.string().regex(/^[A-Za-z0-9._@+-]{1,64}$/, '1-64 of A-Z a-z 0-9 . _ @ + -'),
    password: z.string().min(8, 'at least 8 characters').max(1024),
    name: z.string().min(1).max(200),
    email: z.email().optional(),
  })
  .strict()

const seconds = (def: number) => z.number().int().positive().default(def)

/** A budget: `points` events per `duration` seconds; `points: 0` turns the limit off. */
const budget = (points: number, duration: number) =>
  z
    .object({
      points: z.number().int().min(0).max(1_000_000),
      duration: z
        .number()
        .int()
        .positive()
        .max(30 * 24 * 3600),
    })
    .strict()
    .default({ points, duration })

/**
 * Rate limits. Failed logins are counted per username+IP (a guessing attack on one account from
 * one place) and per IP (one place guessing many accounts); a successful login clears its
 * username+IP count, and nobody else's failures ever count against a user on another IP.
 */
export const rateLimitSchema = z
  .object({
    login_failures_per_user_ip: budget(10, 15 * 60),
    login_failures_per_ip: budget(100, 60 * 60),
    /** Token endpoint requests per client_id (all IPs); off by default. */
    token_requests_per_client: budget(0, 60),
    /**
     * Reverse proxies in front of Pixie that append to X-Forwarded-For. 0: the client IP is the
     * TCP peer. 1: the last X-Forwarded-For entry (the one your load balancer added).
     */
    trust_proxy_hops: z.number().int().min(0).max(10).default(0),
    /** Namespace of the counters (several deployments sharing one Redis). */
    key_prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .default('pixie'),
  })
  .strict()

export const configSchema = z
  .object({
    issuer: z
      .url()
      .refine((u) => !u.includes('?') && !u.includes('#'), 'no query or fragment (RFC 8414 2)')
      .refine((u) => !u.endsWith('/'), 'no trailing slash')
      .optional(),
    port: z.number().int().min(0).max(65535).default(3000),
    host: z.string().min(1).default('127.0.0.1'),
    database: z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'sqlite:<path> or postgres://...')
      .default('sqlite:./data/pixie.db'),
    clients: z.array(clientConfigSchema).default([]),
    users: z.array(userConfigSchema).default([]),
    code_ttl: seconds(60),
    access_token_ttl: seconds(3600),
    refresh_token_ttl: seconds(30 * 24 * 3600),
    session_ttl: seconds(8 * 3600),
    /** Seconds a rotated refresh token may be presented again without revoking its family. */
    refresh_token_reuse_interval: z.number().int().min(0).max(60).default(10),
    log_level: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
    /**
     * Seconds an idle keep-alive connection stays open. Node's default of 5 s is shorter than a
     * load balancer's idle timeout (AWS: 60 s), so the balancer could send a request on a
     * connection Pixie is closing at that moment and answer 502; Fastify's default is 72 s.
     */
    keep_alive_timeout: z.number().int().min(1).max(3600).default(72),
    /** PostgreSQL connections per process (N processes open up to N x this many). */
    database_pool_size: z.number().int().min(1).max(1000).default(10),
    /** Shared rate-limit state for several processes; without it PostgreSQL (or memory) is used. */
    redis: z
      .string()
      .regex(/^rediss?:\/\/.+/, 'redis://... or rediss://...')
      .optional(),
    rate_limit: rateLimitSchema.prefault({}),
    /** Seconds between sweeps of expired rows (codes, sessions, token families). */
    cleanup_interval: seconds(60),
    /** Access tokens: RFC 9068 JWTs (default) or opaque random strings; clients may override. */
    access_token_format: z.enum(['jwt', 'opaque']).default('jwt'),
    /** JWS algorithm of the keys Pixie generates (id_token and JWT access tokens). */
    signing_alg: z.enum(['ES256', 'EdDSA', 'RS256']).default('ES256'),
    id_token_ttl: seconds(3600),
  })
  .strict()

export type ClientConfig = z.infer<typeof clientConfigSchema>
export type UserConfig = z.infer<typeof userConfigSchema>
export type Config = Omit<z.infer<typeof configSchema>, 'issuer'> & {
  issuer: string
  /** True when no issuer was configured and it was derived from host and port. */
  issuer_derived: boolean
}

export class ConfigError extends Error {}

/** Validates raw configuration; the error names every bad field by its path. */
export function parseConfig(raw: unknown, source = 'configuration'): Config {
  const result = configSchema.safeParse(raw)
  if (!result.success) {
    const lines = result.error.issues.map(
      (i) => `  - ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`,
    )
    throw new ConfigError(`invalid ${source}:\n${lines.join('\n')}`)
  }
  const c = result.data
  const ids = c.clients.map((x) => x.client_id)
  const dup = ids.find((id, i) => ids.indexOf(id) !== i)
  if (dup) throw new ConfigError(`invalid ${source}:\n  - clients: duplicate client_id ${dup}`)
  return { ...c, issuer: c.issuer ?? localIssuer(c.host, c.port), issuer_derived: !c.issuer }
}

export function localIssuer(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? 'localhost' : host
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`
}

/**
 * Reads a JSON config file (optional) and applies environment overrides:
 * PIXIE_ISSUER, PIXIE_PORT, PIXIE_HOST, PIXIE_DATABASE_URL, PIXIE_DATABASE_POOL_SIZE,
 * PIXIE_REDIS_URL, PIXIE_LOG_LEVEL.
 */
export function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Record<string, unknown> = {},
): Config {
  let raw: Record<string, unknown> = {}
  if (file) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`)
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>
    } catch (e) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`)
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`config file ${file} must hold a JSON object`)
    }
  }
  const fromEnv: Record<string, unknown> = {}
  if (env.PIXIE_ISSUER) fromEnv.issuer = env.PIXIE_ISSUER
  if (env.PIXIE_HOST) fromEnv.host = env.PIXIE_HOST
  if (env.PIXIE_DATABASE_URL) fromEnv.database = env.PIXIE_DATABASE_URL
  if (env.PIXIE_LOG_LEVEL) fromEnv.log_level = env.PIXIE_LOG_LEVEL
  if (env.PIXIE_REDIS_URL) fromEnv.redis = env.PIXIE_REDIS_URL
  if (env.PIXIE_DATABASE_POOL_SIZE) {
    const n = Number(env.PIXIE_DATABASE_POOL_SIZE)
    fromEnv.database_pool_size = Number.isInteger(n) ? n : env.PIXIE_DATABASE_POOL_SIZE
  }
  if (env.PIXIE_PORT) {
    const port = Number(env.PIXIE_PORT)
    fromEnv.port = Number.isInteger(port) ? port : env.PIXIE_PORT
  }
  return parseConfig(
    { ...raw, ...fromEnv, ...overrides },
    file ? `config ${file}` : 'configuration',
  )
}
