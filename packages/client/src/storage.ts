/**
 * A value or a promise of it: storage methods may answer synchronously or not.
 *
 * @example
 * ```ts
 * const get = (key: string): Awaitable<string | undefined> => map.get(key)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export type Awaitable<T> = T | Promise<T>

/**
 * A minimal async key/value store. The SDK keeps the in-flight authorization transaction
 * (`state` + `code_verifier`) in one, between the redirect and the callback. Values are strings.
 *
 * @example
 * ```ts
 * const redisStorage: KeyValueStorage = {
 *   get: async (key) => (await redis.get(key)) ?? undefined,
 *   set: async (key, value) => void (await redis.set(key, value, 'EX', 600)),
 *   remove: async (key) => void (await redis.del(key)),
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export interface KeyValueStorage {
  get(key: string): Awaitable<string | null | undefined>
  set(key: string, value: string): Awaitable<void>
  remove(key: string): Awaitable<void>
}

/**
 * An in-memory {@link KeyValueStorage}, the default outside browsers.
 *
 * @example
 * ```ts
 * const client = new PixieClient({ ...options, storage: memoryStorage() })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>()
  return {
    get: (key) => map.get(key),
    set: (key, value) => void map.set(key, value),
    remove: (key) => void map.delete(key),
  }
}

/**
 * Adapts a Web Storage object (`sessionStorage`, `localStorage`) to {@link KeyValueStorage}.
 *
 * @example
 * ```ts
 * const client = new PixieClient({ ...options, storage: webStorage(sessionStorage) })
 * ```
 * @see https://html.spec.whatwg.org/multipage/webstorage.html#the-storage-interface
 */
export function webStorage(storage: Storage): KeyValueStorage {
  return {
    get: (key) => storage.getItem(key),
    set: (key, value) => storage.setItem(key, value),
    remove: (key) => storage.removeItem(key),
  }
}

/** @internal `sessionStorage` where the runtime has a usable one, otherwise memory. */
export function defaultStorage(): KeyValueStorage {
  try {
    // Reading `sessionStorage` throws in sandboxed iframes and with storage disabled.
    if (typeof sessionStorage !== 'undefined') return webStorage(sessionStorage)
  } catch {}
  return memoryStorage()
}
