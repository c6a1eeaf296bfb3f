import type { Awaitable, KeyValueStorage } from './storage.ts'
import type { TokenSet } from './token-response.ts'

/**
 * Where the client keeps its tokens. The default is memory: tokens vanish with the page, the
 * safest place in a browser. Use {@link storageTokenStore} to share them across tabs or
 * persist them in a native app.
 *
 * @example
 * ```ts
 * const store: TokenStore = { get: () => keychain.read(), set: (t) => keychain.write(t), clear: () => keychain.erase() }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6819#section-5.1.6
 */
export interface TokenStore {
  get(): Awaitable<TokenSet | undefined>
  set(tokens: TokenSet): Awaitable<void>
  clear(): Awaitable<void>
}

/**
 * An in-memory {@link TokenStore}, the default, optionally seeded with tokens.
 *
 * @example
 * ```ts
 * const client = new PixieClient({ ...options, tokenStore: memoryTokenStore() })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6819#section-5.1.6
 */
export function memoryTokenStore(initial?: TokenSet): TokenStore {
  let tokens = initial
  return {
    get: () => tokens,
    set: (next) => void (tokens = next),
    clear: () => void (tokens = undefined),
  }
}

/**
 * A {@link TokenStore} that keeps the tokens as JSON under `key` in a {@link KeyValueStorage}.
 *
 * @example
 * ```ts
 * // shared by every tab of the origin; refreshes are serialized with Web Locks
 * const tokenStore = storageTokenStore(webStorage(localStorage))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6819#section-5.1.6
 */
export function storageTokenStore(storage: KeyValueStorage, key = 'pixie:tokens'): TokenStore {
  return {
    async get() {
      const raw = await storage.get(key)
      try {
        const tokens: unknown = raw ? JSON.parse(raw) : undefined
        return typeof (tokens as TokenSet | undefined)?.accessToken === 'string'
          ? (tokens as TokenSet)
          : undefined
      } catch {
        return undefined
      }
    },
    set: (tokens) => storage.set(key, JSON.stringify(tokens)),
    clear: () => storage.remove(key),
  }
}

/**
 * Whether the access token expires within `skewSeconds` from `now` (tokens without
 * `expiresAt` never do, as far as the client knows).
 *
 * @example
 * ```ts
 * if (expiresWithin(tokens, 30)) await client.refresh()
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export function expiresWithin(tokens: TokenSet, skewSeconds: number, now = Date.now()): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt - skewSeconds * 1000 <= now
}
