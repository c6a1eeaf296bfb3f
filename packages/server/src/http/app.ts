import { readFileSync } from 'node:fs'
import { Hono } from 'hono'
import type { Config } from '../config.ts'
import { KeyRing } from '../crypto/signing-keys.ts'
import { asOAuthError, OAuthError } from '../core/errors.ts'
import { createMemoryRateLimits, type RateLimits } from '../rate-limit.ts'
import type { Store } from '../storage/store.ts'
import { CorsPolicy } from './cors.ts'
import type { AppDeps } from './context.ts'
import { DirectRoutes } from './direct-routes.ts'
import { authorizeRoutes, showError } from './routes/authorize.ts'
import { healthRoutes } from './routes/health.ts'
import { meRoutes } from './routes/me.ts'
import { metadataRoutes } from './routes/metadata.ts'
import { revokeRoutes } from './routes/revoke.ts'
import { introspectRoutes } from './routes/introspect.ts'
import { jwksRoutes } from './routes/jwks.ts'
import { logoutRoutes } from './routes/logout.ts'
import { userinfoRoutes } from './routes/userinfo.ts'
import { tokenError, tokenRoutes } from './routes/token.ts'

const CSS = readFileSync(new URL('../views/pixie.css', import.meta.url), 'utf8')

export interface AppOptions {
  store: Store
  config: Config
  now?: () => number
  log?: AppDeps['log']
  /** Defaults to per-process memory limits (startServer passes the shared ones). */
  rateLimits?: RateLimits
  /** Defaults to a key ring on the store; PIXIE_SECRET encrypts the private keys. */
  keys?: KeyRing
}

/** The longest lifetime of anything Pixie signs: a retired key stays published this long. */
export function maxSignedTtl(config: Config): number {
  return Math.max(config.access_token_ttl, config.id_token_ttl)
}

export function keyRingFor(store: Store, config: Config, env = process.env): KeyRing {
  return new KeyRing(store, {
    alg: config.signing_alg,
    secret: env.PIXIE_SECRET || undefined,
    maxTokenTtl: maxSignedTtl(config),
  })
}

/** The whole HTTP surface; `app.fetch` is a standard fetch handler. */
export function createApp(options: AppOptions): Hono {
  return createRoutes(options).app
}

/**
 * The routes, all of them in Hono, and the hot API endpoints again as direct routes, which
 * listener.ts serves from node's request (the same endpoint functions, so the same answers).
 */
export function createRoutes(options: AppOptions): {
  app: Hono
  direct: DirectRoutes
  deps: AppDeps
} {
  const deps: AppDeps = {
    store: options.store,
    config: options.config,
    cors: new CorsPolicy(options.store),
    rateLimits: options.rateLimits ?? createMemoryRateLimits(options.config),
    keys: options.keys ?? keyRingFor(options.store, options.config),
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
    secureCookies: options.config.issuer.startsWith('https:'),
    log: options.log ?? defaultLog(options.config.log_level),
  }
  const app = new Hono()
  const direct = new DirectRoutes()

  // Oversized bodies never reach a parser: readForm (form.ts) refuses them with 413.
  healthRoutes(app, deps)
  app.get('/assets/pixie.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600')
    c.header('Content-Type', 'text/css; charset=utf-8')
    return c.body(CSS)
  })

  metadataRoutes(app, deps)
  authorizeRoutes(app, deps)
  tokenRoutes(app, deps, direct)
  meRoutes(app, deps, direct)
  revokeRoutes(app, deps)
  introspectRoutes(app, deps)
  jwksRoutes(app, deps)
  userinfoRoutes(app, deps, direct)
  logoutRoutes(app, deps)

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  // Nothing escapes as a stack trace: spec errors keep their status, the rest is server_error
  // (or temporarily_unavailable when the database is down) without internals.
  app.onError((err, c) => {
    const error = err instanceof OAuthError ? err : asOAuthError(err)
    if (error.status >= 500)
      deps.log('error', 'request failed', { path: c.req.path, err: String(err) })
    // 503: the database is away; clients and browsers may retry shortly.
    if (error.status === 503) c.header('Retry-After', '5')
    if (['/api/token', '/api/revoke', '/api/introspect'].includes(c.req.path)) {
      return tokenError(c, error)
    }
    if (c.req.method === 'GET' && c.req.path === '/authorize') return showError(c, error)
    if (c.req.path === '/login' || c.req.path === '/consent') return showError(c, error)
    return c.json(error.toJSON(), error.status as 400)
  })
  return { app, direct, deps }
}

function defaultLog(level: Config['log_level']): AppDeps['log'] {
  const order = ['silent', 'error', 'warn', 'info', 'debug']
  const max = order.indexOf(level)
  return (lvl, msg, extra) => {
    if (order.indexOf(lvl) > max || max === 0) return
    process.stderr.write(
      JSON.stringify({ level: lvl, time: new Date().toISOString(), msg, ...extra }) + '\n',
    )
  }
}
