import { createAuthorizationRequest, type AuthorizationTransaction } from './authorization.ts'
import { checkState, parseAuthorizationResponse } from './callback.ts'
import { discover, type AuthorizationServer } from './discovery.ts'
import { PixieClientError } from './errors.ts'
import { authorizedFetch } from './fetch.ts'
import { expectOk, globalFetch, readJsonObject, type FetchLike } from './http.ts'
import { revokeToken, type TokenTypeHint } from './revocation.ts'
import { defaultStorage, type KeyValueStorage } from './storage.ts'
import { requestTokens, type TokenSet } from './token-response.ts'
import { expiresWithin, memoryTokenStore, type TokenStore } from './tokens.ts'

/**
 * Options of a {@link PixieClient}. Give either `issuer` (metadata is discovered on first use)
 * or `server` (explicit endpoints, e.g. {@link pixieServer}).
 *
 * @example
 * ```ts
 * const options: PixieClientOptions = {
 *   issuer: 'https://auth.example.com',
 *   clientId: 'demo',
 *   redirectUri: 'https://app.example.com/callback',
 *   scope: 'profile email',
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.2
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export interface PixieClientOptions {
  clientId: string
  redirectUri: string
  /** Default scope of authorization requests. */
  scope?: string
  /** The issuer identifier; its metadata is discovered (RFC 8414, then OIDC) on first use. */
  issuer?: string
  /** Explicit metadata; skips discovery. */
  server?: AuthorizationServer
  /**
   * The profile endpoint of {@link PixieClient.getProfile}. Default: the metadata's
   * `userinfo_endpoint`, else Pixie's `/v1/me` on the issuer's origin.
   */
  profileEndpoint?: string
  /** The `fetch` to use (tests, workers). Defaults to the global one. */
  fetch?: FetchLike
  /** Where the transaction waits for the callback. Default: sessionStorage, else memory. */
  storage?: KeyValueStorage
  /** Where tokens live. Default: memory. */
  tokenStore?: TokenStore
  /** Refresh this many seconds before the access token expires. Default: 30. */
  refreshSkew?: number
  /** Cross-tab lock for refreshes. Default: `navigator.locks` when present; `null` disables. */
  locks?: Pick<LockManager, 'request'> | null
}

/**
 * Per-request options of {@link PixieClient.buildAuthorizationUrl}.
 *
 * @example
 * ```ts
 * await client.buildAuthorizationUrl({ scope: 'profile', params: { prompt: 'login' } })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export interface AuthorizationUrlOptions {
  scope?: string
  /** Extension parameters (`prompt`, `login_hint`, ...); protocol parameters win. */
  params?: Record<string, string>
}

function invalidArgument(message: string): never {
  throw new PixieClientError('invalid_argument', message)
}

function isTransaction(value: unknown): value is AuthorizationTransaction {
  const tx = value as AuthorizationTransaction | null
  return (
    typeof tx?.state === 'string' &&
    typeof tx.codeVerifier === 'string' &&
    typeof tx.redirectUri === 'string'
  )
}

/**
 * An OAuth 2.1 public client: Authorization Code with PKCE (S256), token storage, refresh
 * with rotation (collapsed in a page, serialized across tabs by Web Locks), a Bearer `fetch`,
 * userinfo and revocation.
 *
 * @example
 * ```ts
 * const client = new PixieClient({
 *   issuer: 'https://auth.example.com',
 *   clientId: 'demo',
 *   redirectUri: `${location.origin}/callback`,
 *   scope: 'profile email',
 * })
 * if (location.pathname === '/callback') await client.handleCallback()
 * else await client.redirectToAuthorization()
 * const me = await client.getProfile()
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */
export class PixieClient {
  readonly clientId: string
  readonly redirectUri: string
  readonly scope: string | undefined
  readonly #issuer: string | undefined
  readonly #profileEndpoint: string | undefined
  readonly #fetch: FetchLike
  readonly #storage: KeyValueStorage
  readonly #tokens: TokenStore
  readonly #skew: number
  readonly #locks: Pick<LockManager, 'request'> | null | undefined
  readonly #transactionKey: string
  #server: Promise<AuthorizationServer> | undefined
  #refreshing: Promise<TokenSet> | undefined

  constructor(options: PixieClientOptions) {
    if (!options.clientId) invalidArgument('"clientId" is required')
    if (!options.redirectUri) invalidArgument('"redirectUri" is required')
    if (!options.issuer && !options.server) invalidArgument('"issuer" or "server" is required')
    this.clientId = options.clientId
    this.redirectUri = options.redirectUri
    this.scope = options.scope
    this.#issuer = options.issuer
    this.#profileEndpoint = options.profileEndpoint
    this.#server = options.server && Promise.resolve(options.server)
    this.#fetch = options.fetch ?? globalFetch
    this.#storage = options.storage ?? defaultStorage()
    this.#tokens = options.tokenStore ?? memoryTokenStore()
    this.#skew = options.refreshSkew ?? 30
    this.#locks =
      options.locks !== undefined
        ? options.locks
        : (globalThis as { navigator?: Navigator }).navigator?.locks
    this.#transactionKey = `pixie:${options.clientId}:transaction`
  }

  /**
   * The server's metadata: the explicit `server`, or discovered once from `issuer` (a failed
   * discovery is retried on the next call).
   *
   * @example
   * ```ts
   * const { token_endpoint } = await client.getServer()
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
   */
  getServer(): Promise<AuthorizationServer> {
    this.#server ??= discover(this.#issuer!, { fetch: this.#fetch }).catch((error: unknown) => {
      this.#server = undefined
      throw error
    })
    return this.#server
  }

  /**
   * Builds the authorization request URL (`client_id`, `response_type=code`, `redirect_uri`,
   * `scope`, a fresh `state`, `code_challenge` + `code_challenge_method=S256`) and stores the
   * verifier and state for {@link handleCallback}. A new call replaces the pending transaction.
   *
   * @example
   * ```ts
   * const url = await client.buildAuthorizationUrl({ params: { prompt: 'consent' } })
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
   * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
   */
  async buildAuthorizationUrl(options: AuthorizationUrlOptions = {}): Promise<URL> {
    const { url, transaction } = await createAuthorizationRequest(await this.getServer(), {
      clientId: this.clientId,
      redirectUri: this.redirectUri,
      scope: options.scope ?? this.scope,
      params: options.params,
    })
    await this.#storage.set(this.#transactionKey, JSON.stringify(transaction))
    return url
  }

  /**
   * Browser only: {@link buildAuthorizationUrl} then navigates to it.
   *
   * @example
   * ```ts
   * button.onclick = () => client.redirectToAuthorization()
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
   */
  async redirectToAuthorization(options: AuthorizationUrlOptions = {}): Promise<void> {
    if (typeof location === 'undefined') {
      throw new PixieClientError(
        'not_supported',
        'no location to redirect; use buildAuthorizationUrl',
      )
    }
    location.assign(await this.buildAuthorizationUrl(options))
  }

  /**
   * Completes the flow on the redirect URI (default: the current `location.href`): refuses a
   * callback this client did not start (`missing_transaction`), checks `state`
   * (`invalid_state`) and RFC 9207 `iss` (`issuer_mismatch`), consumes the transaction so a
   * replay fails, turns `error` into `authorization_error`, then exchanges the code with the
   * `code_verifier` and stores the tokens.
   *
   * @example
   * ```ts
   * const tokens = await client.handleCallback()
   * history.replaceState(null, '', '/') // drop code and state from the address bar
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
   * @see https://www.rfc-editor.org/rfc/rfc9207#section-2.4
   * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.5
   */
  async handleCallback(url?: string | URL): Promise<TokenSet> {
    if (url === undefined && typeof location === 'undefined')
      invalidArgument('pass the callback URL')
    const params = new URL(url ?? location.href).searchParams
    const transaction = await this.#readTransaction()
    if (!transaction) {
      throw new PixieClientError('missing_transaction', 'no authorization request is pending')
    }
    checkState(params, transaction.state)
    // Single use: from here on, a replay of this callback finds no transaction.
    await this.#storage.remove(this.#transactionKey)
    const server = await this.getServer()
    const code = parseAuthorizationResponse(params, server)
    const tokens = await requestTokens(
      this.#fetch,
      server.token_endpoint,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: transaction.redirectUri,
        client_id: this.clientId,
        code_verifier: transaction.codeVerifier,
      },
      'token_error',
    )
    await this.#tokens.set(tokens)
    return tokens
  }

  async #readTransaction(): Promise<AuthorizationTransaction | undefined> {
    const raw = await this.#storage.get(this.#transactionKey)
    try {
      const value: unknown = raw ? JSON.parse(raw) : undefined
      return isTransaction(value) ? value : undefined
    } catch {
      return undefined
    }
  }

  /**
   * The stored tokens as they are (no refresh), or `undefined` when signed out.
   *
   * @example
   * ```ts
   * const signedIn = (await client.getTokens()) !== undefined
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
   */
  async getTokens(): Promise<TokenSet | undefined> {
    return this.#tokens.get()
  }

  /**
   * A usable access token, refreshed first when it expires within the skew. Throws
   * `no_tokens` when signed out.
   *
   * @example
   * ```ts
   * const token = await client.getAccessToken()
   * socket.send(JSON.stringify({ auth: token }))
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  async getAccessToken(): Promise<string> {
    return (await this.#freshTokens()).accessToken
  }

  async #freshTokens(): Promise<TokenSet> {
    const tokens = await this.#tokens.get()
    if (!tokens) throw new PixieClientError('no_tokens', 'not signed in')
    return tokens.refreshToken && expiresWithin(tokens, this.#skew) ? this.#refresh(tokens) : tokens
  }

  /**
   * Refreshes the tokens now (`grant_type=refresh_token`), storing the rotated refresh token
   * or keeping the old one when the response omits it. Concurrent calls share one request;
   * across tabs the refresh runs under a Web Lock and reuses another tab's fresh result.
   * Throws `no_tokens` or `refresh_failed` (tokens are cleared on `invalid_grant`).
   *
   * @example
   * ```ts
   * const [a, b] = await Promise.all([client.refresh(), client.refresh()]) // one request
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
   */
  refresh(): Promise<TokenSet> {
    return this.#refresh()
  }

  #refresh(stale?: TokenSet): Promise<TokenSet> {
    this.#refreshing ??= this.#refreshLocked(stale).finally(() => {
      this.#refreshing = undefined
    })
    return this.#refreshing
  }

  async #refreshLocked(stale: TokenSet | undefined): Promise<TokenSet> {
    const seen = stale ?? (await this.#tokens.get())
    const run = () => this.#refreshNow(seen)
    return this.#locks ? this.#locks.request(`pixie:refresh:${this.clientId}`, run) : run()
  }

  async #refreshNow(seen: TokenSet | undefined): Promise<TokenSet> {
    // Re-read under the lock: another tab may have refreshed while we waited.
    const current = await this.#tokens.get()
    if (!current) throw new PixieClientError('no_tokens', 'not signed in')
    if (seen && current.accessToken !== seen.accessToken && !expiresWithin(current, this.#skew)) {
      return current
    }
    if (!current.refreshToken) throw new PixieClientError('no_tokens', 'no refresh token held')
    const server = await this.getServer()
    try {
      const tokens = await requestTokens(
        this.#fetch,
        server.token_endpoint,
        {
          grant_type: 'refresh_token',
          refresh_token: current.refreshToken,
          client_id: this.clientId,
        },
        'refresh_failed',
      )
      // RFC 6749 section 5.1 and 6: both may be omitted when unchanged.
      tokens.refreshToken ??= current.refreshToken
      if (current.scope) tokens.scope ??= current.scope
      await this.#tokens.set(tokens)
      return tokens
    } catch (error) {
      // A dead refresh token means signed out, unless another tab already replaced it.
      if (
        error instanceof PixieClientError &&
        error.error === 'invalid_grant' &&
        (await this.#tokens.get())?.refreshToken === current.refreshToken
      ) {
        await this.#tokens.clear()
      }
      throw error
    }
  }

  /**
   * `fetch` with `Authorization: Bearer`: refreshes ahead of expiry, and once more (then
   * retries once) on a 401 whose `WWW-Authenticate` says `error="invalid_token"`.
   *
   * @example
   * ```ts
   * const res = await client.fetch('https://api.example.com/v1/orders', { method: 'POST', body })
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    return authorizedFetch(
      {
        fetch: this.#fetch,
        getTokens: () => this.#freshTokens(),
        refresh: (stale) => this.#refresh(stale),
      },
      input,
      init,
    )
  }

  /**
   * The signed-in user's profile (JSON) from the profile endpoint: `profileEndpoint`, else the
   * metadata's `userinfo_endpoint`, else Pixie's `/v1/me`. Throws `userinfo_error` on an error
   * status.
   *
   * @example
   * ```ts
   * const me = await client.getProfile<{ sub: string; email?: string }>()
   * ```
   * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
   * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
   */
  async getProfile<T = Record<string, unknown>>(): Promise<T> {
    const server = await this.getServer()
    const endpoint =
      this.#profileEndpoint ?? server.userinfo_endpoint ?? new URL('/v1/me', server.issuer).href
    const res = await this.fetch(endpoint, { headers: { accept: 'application/json' } })
    await expectOk(res, 'userinfo_error')
    return (await readJsonObject(res)) as T
  }

  /**
   * Revokes one token at the server's `revocation_endpoint` (`not_supported` without one).
   *
   * @example
   * ```ts
   * const tokens = await client.getTokens()
   * if (tokens?.refreshToken) await client.revoke(tokens.refreshToken, 'refresh_token')
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
   */
  async revoke(token: string, hint?: TokenTypeHint): Promise<void> {
    const endpoint = (await this.getServer()).revocation_endpoint
    if (!endpoint)
      throw new PixieClientError('not_supported', 'the server has no revocation_endpoint')
    await revokeToken(this.#fetch, endpoint, this.clientId, token, hint)
  }

  /**
   * Signs out: revokes the refresh token then the access token when the server supports
   * revocation, and always clears the token store (revocation errors are rethrown after).
   *
   * @example
   * ```ts
   * await client.signOut().catch(() => {}) // locally signed out either way
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
   */
  async signOut(): Promise<void> {
    await this.#refreshing?.catch(() => undefined)
    const tokens = await this.#tokens.get()
    try {
      const endpoint = tokens && (await this.getServer()).revocation_endpoint
      if (tokens && endpoint) {
        if (tokens.refreshToken) {
          await revokeToken(
            this.#fetch,
            endpoint,
            this.clientId,
            tokens.refreshToken,
            'refresh_token',
          )
        }
        await revokeToken(this.#fetch, endpoint, this.clientId, tokens.accessToken, 'access_token')
      }
    } finally {
      await this.#tokens.clear()
    }
  }
}
