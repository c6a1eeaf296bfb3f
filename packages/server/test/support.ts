import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequestListener } from '../src/http/listener.ts'
import {
  CookieJar,
  formFields,
  signIn,
  TEST_CLIENT,
  TEST_USER,
  type TestServer,
} from '../src/testing.ts'
import type { ClientConfig } from '../src/config.ts'

/** What a flow needs from a server: where it is and who signs in. */
export interface Pixie {
  url: string
  clientId: string
  username: string
  password: string
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export function authorizeUrl(
  server: { url: string },
  params: Record<string, string | string[] | undefined>,
): string {
  const url = new URL('/authorize', server.url)
  for (const [k, v] of Object.entries(params)) {
    // An array repeats the parameter (RFC 8707 resource).
    for (const one of [v ?? []].flat()) url.searchParams.append(k, one)
  }
  return url.toString()
}

export async function tokenRequest(
  server: { url: string },
  body: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(new URL('/api/token', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} }
}

type TokenResult = Awaited<ReturnType<typeof tokenRequest>>

/** RFC 6749 5.2: a JSON error with the given code and status, never cached. */
export function assertTokenError(res: TokenResult, error: string, status = 400): void {
  assert.equal(res.status, status, JSON.stringify(res.json))
  assert.equal(res.json.error, error, JSON.stringify(res.json))
  assert.equal(typeof res.json.error_description, 'string')
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  assert.equal(res.headers.get('cache-control'), 'no-store')
}

/**
 * One signed-in browser per server: after the first login and consent, getCode goes straight
 * through /authorize (remembered consent) without another argon2 hash, which keeps suites fast.
 */
const sessions = new WeakMap<object, CookieJar>()
function sessionJar(server: object): CookieJar {
  let jar = sessions.get(server)
  if (!jar) sessions.set(server, (jar = new CookieJar()))
  return jar
}

/** Runs the front half of the flow and returns a fresh code with what it was bound to. */
export async function getCode(
  server: Pixie,
  opts: {
    scope?: string
    redirectUri?: string
    state?: string
    clientId?: string
    /** false: no code_challenge (only confidential clients may do that). */
    pkce?: boolean
    jar?: CookieJar
    /** More authorization request parameters (nonce, prompt, resource, ...). */
    extra?: Record<string, string | string[]>
  } = {},
) {
  const { verifier, challenge } = pkcePair()
  const pkce = opts.pkce ?? true
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1/callback'
  const location = await signIn(
    authorizeUrl(server, {
      client_id: opts.clientId ?? server.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: opts.scope ?? 'profile email',
      state: opts.state ?? 'st-' + randomBytes(4).toString('hex'),
      code_challenge: pkce ? challenge : undefined,
      code_challenge_method: pkce ? 'S256' : undefined,
      ...opts.extra,
    }),
    server,
    { jar: opts.jar ?? sessionJar(server) },
  )
  const url = new URL(location)
  const code = url.searchParams.get('code')
  if (!code) throw new Error(`no code in ${location}`)
  return { code, verifier, redirectUri, location: url }
}

export interface Tokens {
  access_token: string
  refresh_token: string
  scope: string
  token_type: string
  expires_in: number
}

export async function getTokens(server: Pixie, opts: { scope?: string } = {}): Promise<Tokens> {
  const { code, verifier, redirectUri } = await getCode(server, opts)
  const res = await tokenRequest(server, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: server.clientId,
    code_verifier: verifier,
  })
  if (res.status !== 200) throw new Error(`token exchange failed: ${JSON.stringify(res.json)}`)
  return res.json as unknown as Tokens
}

/** The clients the HTTP suites register next to TEST_CLIENT (RFC 7591 metadata names). */
export const CONFIDENTIAL_SECRET = 'conf-secret-0123456789-abcdefghijklmnop'
export const POST_SECRET = 'post-secret-0123456789-abcdefghijklmnop'
export const CONFIDENTIAL_CLIENT: ClientConfig = {
  client_id: 'conf-app',
  client_name: 'Confidential App',
  redirect_uris: ['https://conf.example/cb'],
  token_endpoint_auth_method: 'client_secret_basic',
  client_secret: CONFIDENTIAL_SECRET,
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'profile email',
}
export const POST_CLIENT: ClientConfig = {
  client_id: 'post-app',
  client_name: 'Post App',
  redirect_uris: ['https://post.example/cb'],
  token_endpoint_auth_method: 'client_secret_post',
  client_secret: POST_SECRET,
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'profile email',
}
/** A second SPA on another origin, allowed only `profile`. */
export const OTHER_SPA: ClientConfig = {
  client_id: 'other-spa',
  client_name: 'Other SPA',
  redirect_uris: ['http://localhost:5174/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'profile',
}
/** A registered redirect URI with a query of its own (RFC 6749 3.1.2 keeps it). */
export const QUERY_CLIENT: ClientConfig = {
  client_id: 'query-app',
  client_name: 'Query App',
  redirect_uris: ['https://q.example/cb?tenant=acme&lang=en'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'profile email',
}
export const XSS_NAME = '<script>alert(1)</script>'
export const XSS_CLIENT: ClientConfig = {
  client_id: 'xss-app',
  client_name: XSS_NAME,
  redirect_uris: ['https://xss.example/cb'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'profile email',
}
/** A client that may not refresh: it gets no refresh token. */
export const NO_REFRESH_CLIENT: ClientConfig = {
  client_id: 'no-refresh',
  client_name: 'No Refresh',
  redirect_uris: ['https://norefresh.example/cb'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  scope: 'profile email',
}
/** An OpenID Connect SPA: the openid scope, and where it may be sent after logout. */
export const OIDC_CLIENT: ClientConfig = {
  client_id: 'oidc-spa',
  client_name: 'OIDC SPA',
  redirect_uris: ['http://127.0.0.1/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'openid profile email',
  post_logout_redirect_uris: ['http://127.0.0.1/signed-out'],
}
/** A confidential OIDC client that is also a resource server (introspection). */
export const RS_SECRET = 'rs-secret-0123456789-abcdefghijklmnopqrs'
export const RS_CLIENT: ClientConfig = {
  client_id: 'rs-app',
  client_name: 'Resource Server App',
  redirect_uris: ['http://127.0.0.1/rs-callback'],
  token_endpoint_auth_method: 'client_secret_basic',
  client_secret: RS_SECRET,
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  scope: 'openid profile email',
  post_logout_redirect_uris: ['http://127.0.0.1/rs-signed-out'],
}
/** A machine client: client_credentials only, no redirect URI. */
export const MACHINE_SECRET = 'machine-secret-0123456789-abcdefghijklm'
export const MACHINE_CLIENT: ClientConfig = {
  client_id: 'machine',
  client_name: 'Machine',
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_post',
  client_secret: MACHINE_SECRET,
  grant_types: ['client_credentials'],
  scope: 'profile',
}

/** The parts of a compact JWS, decoded without verification (tests verify with jose). */
export function decodeJwt(token: string): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
} {
  const [h, p] = token.split('.')
  const dec = (s: string | undefined) =>
    JSON.parse(Buffer.from(s ?? '', 'base64url').toString()) as Record<string, unknown>
  return { header: dec(h), payload: dec(p) }
}

export const ALL_CLIENTS: ClientConfig[] = [
  TEST_CLIENT,
  CONFIDENTIAL_CLIENT,
  POST_CLIENT,
  OTHER_SPA,
  QUERY_CLIENT,
  XSS_CLIENT,
  NO_REFRESH_CLIENT,
]

/** Extra users, so each consent test starts from a user who never consented. */
export const EXTRA_USER_NAMES = ['bob', 'carol', 'dave', 'erin', 'frank', 'grace'] as const
export const ALL_USERS = [
  TEST_USER,
  ...EXTRA_USER_NAMES.map((n) => ({
    username: n,
    password: `password of ${n}`,
    name: n[0]!.toUpperCase() + n.slice(1),
    email: `${n}@example.com`,
  })),
]
export function credentials(name: (typeof EXTRA_USER_NAMES)[number]) {
  return { username: name, password: `password of ${name}` }
}

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')
}

/** Valid authorization request parameters for TEST_CLIENT, to be overridden one at a time. */
export function validAuthorizeParams(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    client_id: TEST_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: 'http://127.0.0.1/callback',
    scope: 'profile email',
    state: 'st-123',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...overrides,
  }
}

/** GET without following redirects. */
export function getManual(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers })
}

/** An /authorize URL from raw name/value pairs (duplicates allowed), percent-encoded normally. */
export function authorizeUrlPairs(server: { url: string }, pairs: [string, string][]): string {
  const url = new URL('/authorize', server.url)
  url.search = new URLSearchParams(pairs).toString()
  return url.toString()
}

export async function exchangeCode(
  server: { url: string },
  got: { code: string; verifier: string; redirectUri: string },
  clientId = TEST_CLIENT.client_id,
  /** RFC 8707 resource parameters of the token request, repeated in order. */
  resources: string[] = [],
) {
  const body = codeForm(got, clientId)
  for (const r of resources) body.append('resource', r)
  return tokenRequest(server, body.toString())
}

/** The token request body that exchanges `got` (RFC 6749 4.1.3, with the PKCE verifier). */
export function codeForm(
  got: { code: string; verifier: string; redirectUri: string },
  clientId = TEST_CLIENT.client_id,
): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code: got.code,
    redirect_uri: got.redirectUri,
    client_id: clientId,
    code_verifier: got.verifier,
  })
}

export function refresh(
  server: { url: string },
  refreshToken: string,
  extra: Record<string, string> = {},
) {
  return tokenRequest(server, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: TEST_CLIENT.client_id,
    ...extra,
  })
}

export async function getMe(
  server: { url: string },
  authorization: string | undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(new URL('/v1/me', server.url), {
    headers: authorization === undefined ? headers : { authorization, ...headers },
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : {} }
}

export async function revoke(
  server: { url: string },
  body: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(new URL('/api/revoke', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

/**
 * A browser tab: a cookie jar, manual redirects, and form posts that send the page's own
 * Origin like Chromium does.
 */
export class Browser {
  readonly jar: CookieJar
  constructor(
    readonly server: { url: string },
    jar?: CookieJar,
  ) {
    this.jar = jar ?? new CookieJar()
  }
  async get(url: string): Promise<Response> {
    const res = await fetch(new URL(url, this.server.url), {
      redirect: 'manual',
      headers: { cookie: this.jar.header() },
    })
    this.jar.store(res)
    return res
  }
  async post(
    path: string,
    fields: URLSearchParams,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const res = await fetch(new URL(path, this.server.url), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.jar.header(),
        origin: new URL(this.server.url).origin,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: fields,
    })
    this.jar.store(res)
    return res
  }
  /** Fills and posts the page's form; `set` overrides fields (undefined removes one). */
  async submit(
    html: string,
    set: Record<string, string | undefined> = {},
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const { action, fields } = formFields(html)
    for (const [k, v] of Object.entries(set)) {
      if (v === undefined) fields.delete(k)
      else fields.set(k, v)
    }
    return this.post(action, fields, headers)
  }
  /** GET /authorize, then sign in on the login page; returns the response after the login post. */
  async login(
    authorizationUrl: string,
    credentials: { username: string; password: string },
  ): Promise<Response> {
    const page = await this.get(authorizationUrl)
    if (page.status !== 200) throw new Error(`expected the login page, got ${page.status}`)
    return this.submit(await page.text(), credentials)
  }
}

/**
 * A second HTTP front for a running test server, sharing its store and config but with an
 * injected clock: expiry tests move time instead of sleeping. Times are Unix seconds.
 */
export interface ClockedServer {
  url: string
  clientId: string
  username: string
  password: string
  /** Seconds added to the real clock. */
  offset: number
  /** When set, the clock stands still at these Unix seconds (offset is then ignored). */
  at: number | null
  close(): Promise<void>
}

export async function withClock(server: TestServer): Promise<ClockedServer> {
  const clocked: ClockedServer = {
    offset: 0,
    at: null,
    url: '',
    clientId: server.clientId,
    username: server.username,
    password: server.password,
    close: async () => {},
  }
  const http = createServer(
    createRequestListener({
      store: server.store,
      config: server.config,
      now: () => clocked.at ?? Math.floor(Date.now() / 1000) + clocked.offset,
    }),
  )
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  clocked.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  clocked.close = () => new Promise<void>((resolve) => http.close(() => resolve()))
  return clocked
}
