import type { Config } from '../config.ts'
import type { KeyRing } from '../crypto/signing-keys.ts'
import type { Store } from '../storage/store.ts'
import type { CorsPolicy } from './cors.ts'
import type { RateLimits } from '../rate-limit.ts'

/** What every route needs, built once in createApp. */
export interface AppDeps {
  store: Store
  config: Config
  cors: CorsPolicy
  rateLimits: RateLimits
  /** The signing keys (id_token, JWT access tokens) and the JWKS, shared through the store. */
  keys: KeyRing
  /** Unix seconds; injectable so tests can move time. */
  now: () => number
  /** Cookies get `Secure` when the issuer is https. */
  secureCookies: boolean
  /** Origins a form post may come from: the issuer's, and the one the browser used. */
  log: (level: 'error' | 'warn' | 'info', msg: string, extra?: Record<string, unknown>) => void
}
