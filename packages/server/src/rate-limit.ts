/**
 * Rate limits with state shared by every Pixie process: rate-limiter-flexible on Redis when
 * `redis` is configured, else on PostgreSQL when that is the database, else in memory (one
 * process). A store-backed limiter falls back to a per-process memory limiter while its store is
 * unreachable (the "insurance limiter"), so an outage of Redis neither blocks logins nor disables
 * the limits.
 *
 * Login: failures are counted per username+IP and per IP, checked before the password is (an
 * attacker who is refused costs no argon2 hash), and a success clears the username+IP count.
 * Nothing is counted per username alone: strangers' failures can never lock a user out.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#login-throttling
 */
import { requestHeader } from './http/context.ts'
import type { Context } from 'hono'
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible'
import type { Config } from './config.ts'
import { OAuthError } from './core/errors.ts'
import type { Store } from './storage/store.ts'

/** Refused for now; try again after `retryAfter` seconds. */
export interface Blocked {
  retryAfter: number
}

export interface RateLimits {
  /** Which backend holds the counters: 'memory', 'postgres' or 'redis'. */
  readonly backend: 'memory' | 'postgres' | 'redis'
  /** Before a password is checked: is this username+IP, or this IP, over its failure budget? */
  checkLogin(username: string, ip: string): Promise<Blocked | null>
  loginFailed(username: string, ip: string): Promise<void>
  loginSucceeded(username: string, ip: string): Promise<void>
  /** Counts one token request of a client; Blocked when the client is over its budget. */
  tokenRequest(clientId: string): Promise<Blocked | null>
  close(): Promise<void>
}

/**
 * 429 on the token endpoint. RFC 6749 5.2 has no rate-limit code: `temporarily_unavailable` says
 * "try again later" (an SDK must not treat it as a broken request or a lost grant, as it would
 * `invalid_request` / `invalid_grant`), and HTTP 429 + Retry-After (RFC 6585 4) is what generic
 * HTTP clients and proxies understand.
 */
export class RateLimited extends OAuthError {
  readonly error = 'temporarily_unavailable'
  override readonly status = 429
  override readonly redirectable = false
  constructor(readonly retryAfter: number) {
    super(`too many requests; retry after ${retryAfter} seconds`)
  }
}

interface Budget {
  points: number
  duration: number
}

type LimiterFactory = (name: string, budget: Budget) => RateLimiterAbstract

export interface RateLimitOptions {
  /** Overrides the backend choice (tests). */
  backend?: 'memory' | 'postgres' | 'redis'
  log?: (level: 'warn', msg: string, extra?: Record<string, unknown>) => void
}

/** Picks the backend from the configuration: redis > postgres > memory. */
export async function createRateLimits(
  config: Config,
  store: Store,
  options: RateLimitOptions = {},
): Promise<RateLimits> {
  const prefix = config.rate_limit.key_prefix
  const memory: LimiterFactory = (name, b) =>
    new RateLimiterMemory({ keyPrefix: `${prefix}:${name}`, ...b })
  const pool = (store as { pool?: unknown }).pool
  const backend =
    options.backend ?? (config.redis ? 'redis' : pool !== undefined ? 'postgres' : 'memory')

  if (backend === 'redis') {
    if (!config.redis) throw new Error('the redis rate-limit backend needs `redis` configured')
    const { Redis } = await import('ioredis')
    const redis = new Redis(config.redis, {
      // Fail fast while Redis is away: the insurance limiter answers instead of a queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    })
    let warned = false
    redis.on('error', (err: Error) => {
      if (!warned) options.log?.('warn', 'redis unavailable', { err: err.message })
      warned = true
    })
    redis.on('ready', () => (warned = false))
    const factory: LimiterFactory = (name, b) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}:${name}`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory(name, b),
        ...b,
      })
    return new FlexibleRateLimits('redis', factory, config, async () => {
      redis.disconnect()
    })
  }
  if (backend === 'postgres') {
    if (pool === undefined)
      throw new Error('the postgres rate-limit backend needs a PostgreSQL store')
    const limiters: RateLimiterPostgres[] = []
    const factory: LimiterFactory = (name, b) => {
      const l = new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        // Created by the migrations (0002_rate_limits), in the store's schema.
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: `${prefix}:${name}`,
        insuranceLimiter: memory(name, b),
        ...b,
      })
      limiters.push(l)
      return l
    }
    return new FlexibleRateLimits('postgres', factory, config, async () => {
      for (const l of limiters) {
        clearTimeout(
          (l as unknown as { _clearExpiredTimeoutId?: NodeJS.Timeout })._clearExpiredTimeoutId,
        )
      }
    })
  }
  return createMemoryRateLimits(config)
}

/** Per-process limits: right for one process (SQLite), and for in-process tests. */
export function createMemoryRateLimits(config: Config): RateLimits {
  const prefix = config.rate_limit.key_prefix
  return new FlexibleRateLimits(
    'memory',
    (name, b) => new RateLimiterMemory({ keyPrefix: `${prefix}:${name}`, ...b }),
    config,
    async () => {},
  )
}

class FlexibleRateLimits implements RateLimits {
  private readonly userIp: RateLimiterAbstract | null
  private readonly ip: RateLimiterAbstract | null
  private readonly client: RateLimiterAbstract | null

  constructor(
    readonly backend: RateLimits['backend'],
    factory: LimiterFactory,
    config: Config,
    private readonly onClose: () => Promise<void>,
  ) {
    const r = config.rate_limit
    const make = (name: string, b: Budget) => (b.points > 0 ? factory(name, b) : null)
    this.userIp = make('login_user_ip', r.login_failures_per_user_ip)
    this.ip = make('login_ip', r.login_failures_per_ip)
    this.client = make('token_client', r.token_requests_per_client)
  }

  async checkLogin(username: string, ip: string): Promise<Blocked | null> {
    const [byUserIp, byIp] = await Promise.all([
      this.userIp?.get(userIpKey(username, ip)),
      this.ip?.get(ip),
    ])
    let retryAfter = 0
    for (const [limiter, res] of [
      [this.userIp, byUserIp],
      [this.ip, byIp],
    ] as const) {
      if (limiter && res && res.consumedPoints >= limiter.points) {
        retryAfter = Math.max(retryAfter, seconds(res.msBeforeNext))
      }
    }
    return retryAfter > 0 ? { retryAfter } : null
  }

  async loginFailed(username: string, ip: string): Promise<void> {
    await Promise.all([this.userIp?.penalty(userIpKey(username, ip), 1), this.ip?.penalty(ip, 1)])
  }

  async loginSucceeded(username: string, ip: string): Promise<void> {
    await this.userIp?.delete(userIpKey(username, ip))
  }

  async tokenRequest(clientId: string): Promise<Blocked | null> {
    if (!this.client) return null
    try {
      await this.client.consume(clientId)
      return null
    } catch (res) {
      if (res instanceof RateLimiterRes) return { retryAfter: seconds(res.msBeforeNext) }
      throw res
    }
  }

  close(): Promise<void> {
    return this.onClose()
  }
}

function userIpKey(username: string, ip: string): string {
  // Usernames are matched exactly by the store; the key is bounded for the 255-character column.
  return `${ip}|${username.slice(0, 128)}`
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}

/**
 * The client's IP: the TCP peer, or, behind `trust_proxy_hops` proxies, the X-Forwarded-For entry
 * the outermost trusted proxy added (entries further left are whatever the client sent).
 */
export function clientIp(c: Context, trustProxyHops: number): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  const peer = env?.incoming?.socket?.remoteAddress ?? 'unknown'
  if (trustProxyHops === 0) return peer
  const forwarded = (requestHeader(c, 'x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return forwarded[forwarded.length - trustProxyHops] ?? forwarded[0] ?? peer
}
