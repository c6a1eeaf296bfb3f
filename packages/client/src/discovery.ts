import { PixieClientError } from './errors.ts'
import { globalFetch, isObject, isUrl, send, type FetchLike } from './http.ts'

/**
 * The authorization server metadata the SDK uses (RFC 8414 section 2 names). Unknown members
 * are kept.
 *
 * @example
 * ```ts
 * const server: AuthorizationServer = {
 *   issuer: 'https://auth.example.com',
 *   authorization_endpoint: 'https://auth.example.com/authorize',
 *   token_endpoint: 'https://auth.example.com/api/token',
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export interface AuthorizationServer {
  issuer: string
  authorization_endpoint: string
  token_endpoint: string
  userinfo_endpoint?: string
  revocation_endpoint?: string
  /** RFC 9207: when true, callbacks must carry `iss` equal to `issuer`. */
  authorization_response_iss_parameter_supported?: boolean
  code_challenge_methods_supported?: string[]
  [member: string]: unknown
}

/**
 * Endpoints of a Pixie server at `issuer` without a discovery round trip: `/authorize`,
 * `/api/token`, `/v1/me`, with RFC 9207 `iss` on callbacks. Override what differs.
 *
 * @example
 * ```ts
 * const client = new PixieClient({ server: pixieServer('https://auth.example.com'), ...options })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export function pixieServer(
  issuer: string,
  overrides: Partial<AuthorizationServer> = {},
): AuthorizationServer {
  const at = (path: string) => new URL(path, issuer).href
  return {
    issuer,
    authorization_endpoint: at('/authorize'),
    token_endpoint: at('/api/token'),
    userinfo_endpoint: at('/v1/me'),
    authorization_response_iss_parameter_supported: true,
    code_challenge_methods_supported: ['S256'],
    ...overrides,
  }
}

const URL_MEMBERS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'revocation_endpoint',
]

function fail(message: string, status?: number): never {
  throw new PixieClientError('discovery_error', message, { status })
}

/**
 * Checks a metadata document: a JSON object whose `issuer` is exactly the expected one
 * (RFC 8414 section 3.3, else `issuer_mismatch`), with URL endpoints.
 *
 * @example
 * ```ts
 * const server = validateServerMetadata(await res.json(), 'https://auth.example.com')
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.3
 */
export function validateServerMetadata(body: unknown, issuer: string): AuthorizationServer {
  if (!isObject(body)) fail('metadata is not a JSON object')
  // RFC 8414 section 3.3: the issuer MUST be identical to the one the URL was built from.
  if (body.issuer !== issuer) {
    throw new PixieClientError('issuer_mismatch', `metadata issuer is not "${issuer}"`)
  }
  for (const member of URL_MEMBERS) {
    const value = body[member]
    const required = member === 'authorization_endpoint' || member === 'token_endpoint'
    if (value === undefined && !required) continue
    if (typeof value !== 'string' || !isUrl(value)) fail(`"${member}" is not a URL`)
  }
  const flag = body.authorization_response_iss_parameter_supported
  if (flag !== undefined && typeof flag !== 'boolean') {
    fail('"authorization_response_iss_parameter_supported" is not a boolean')
  }
  return body as AuthorizationServer
}

/**
 * The two well-known metadata URLs for `issuer`: RFC 8414's (inserted before any path) and
 * OpenID Connect Discovery's (appended).
 *
 * @example
 * ```ts
 * metadataUrls('https://example.com/tenant')
 * // ['https://example.com/.well-known/oauth-authorization-server/tenant',
 * //  'https://example.com/tenant/.well-known/openid-configuration']
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
export function metadataUrls(issuer: string): [string, string] {
  const url = new URL(issuer)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ]
}

/**
 * Reads the authorization server metadata of `issuer`: RFC 8414 first, then OpenID Connect
 * Discovery if that is not found. Throws `discovery_error`, `issuer_mismatch` or
 * `network_error`.
 *
 * @example
 * ```ts
 * const server = await discover('https://auth.example.com')
 * server.token_endpoint // 'https://auth.example.com/api/token'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function discover(
  issuer: string,
  options: { fetch?: FetchLike } = {},
): Promise<AuthorizationServer> {
  if (!isUrl(issuer)) {
    throw new PixieClientError('invalid_argument', `the issuer "${issuer}" is not a URL`)
  }
  let status = 0
  for (const url of metadataUrls(issuer)) {
    const res = await send(options.fetch ?? globalFetch, url, {
      headers: { accept: 'application/json' },
    })
    status = res.status
    if (res.status === 404) continue
    if (!res.ok) fail(`${url} answered ${res.status}`, res.status)
    return validateServerMetadata(await res.json().catch(() => undefined), issuer)
  }
  return fail(`no metadata found for ${issuer}`, status)
}
