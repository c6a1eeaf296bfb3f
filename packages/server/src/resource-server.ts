import type { MiddlewareHandler } from 'hono'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { MissingToken, readBearer } from './core/bearer.ts'
import { InsufficientScope, InvalidToken, OAuthError } from './core/errors.ts'

/**
 * A resource server's view of Pixie's access tokens: JWTs (RFC 9068) are verified locally
 * against the JWKS, opaque tokens are introspected (RFC 7662). Answers are RFC 6750 errors.
 *
 * A JWT stays valid until it expires even when revoked at Pixie; set `introspect: 'always'` to
 * ask Pixie about every token instead (revocation is then immediate, at one request per call).
 *
 * @example
 * ```ts
 * const auth = bearerAuth({ issuer: 'https://id.example.com', audience: 'https://api.example.com' })
 * app.get('/things', auth, (c) => c.json({ user: c.get('token').sub }))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export interface ResourceServerOptions {
  /** Pixie's issuer identifier. */
  issuer: string
  /** This resource server's identifier(s): the RFC 8707 resource clients ask tokens for. */
  audience: string | string[]
  /** Scope every request needs (space-separated for several). */
  scope?: string
  /** Default: `<issuer>/.well-known/jwks.json`. */
  jwksUri?: string
  /** A confidential client of Pixie, to introspect opaque tokens. */
  introspection?: { clientId: string; clientSecret: string; endpoint?: string }
  /** 'opaque' (default): only tokens that are not JWTs; 'always': every token. */
  introspect?: 'opaque' | 'always'
  /** The realm of WWW-Authenticate challenges. */
  realm?: string
  fetch?: typeof fetch
}

/** A token that passed every check. */
export interface VerifiedToken {
  /** The user, or the client itself for client_credentials. */
  sub: string
  clientId: string
  scope: string[]
  claims: Record<string, unknown>
}

const ALGORITHMS = ['ES256', 'EdDSA', 'RS256']

/** Verifies a bearer token; throws InvalidToken or InsufficientScope (RFC 6750 3.1). */
export function createTokenVerifier(
  options: ResourceServerOptions,
): (token: string) => Promise<VerifiedToken> {
  const jwks = createRemoteJWKSet(
    new URL(options.jwksUri ?? `${options.issuer}/.well-known/jwks.json`),
  )
  const audiences = [options.audience].flat()
  const required = options.scope ? options.scope.split(' ') : []
  const doFetch = options.fetch ?? fetch

  async function fromJwt(token: string): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: audiences,
        typ: 'at+jwt', // RFC 9068 4: the resource server MUST check typ
        algorithms: ALGORITHMS,
      })
      return payload as Record<string, unknown>
    } catch {
      throw new InvalidToken('the access token is invalid')
    }
  }

  async function fromIntrospection(token: string): Promise<Record<string, unknown>> {
    const creds = options.introspection
    if (!creds) throw new InvalidToken('the access token is invalid')
    const basic = Buffer.from(`${enc(creds.clientId)}:${enc(creds.clientSecret)}`).toString(
      'base64',
    )
    const res = await doFetch(creds.endpoint ?? `${options.issuer}/api/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        authorization: `Basic ${basic}`,
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    })
    if (!res.ok) throw new Error(`introspection failed with ${res.status}`)
    const body = (await res.json()) as Record<string, unknown>
    // RFC 7662 2.2: only `active: true` means anything; refresh tokens are not access tokens.
    if (body.active !== true || body.token_type === 'refresh_token') {
      throw new InvalidToken('the access token is not active')
    }
    if (body.iss !== undefined && body.iss !== options.issuer) {
      throw new InvalidToken('the access token is from another issuer')
    }
    if (body.aud !== undefined) {
      const aud = [body.aud].flat()
      if (!aud.some((a) => audiences.includes(a as string))) {
        throw new InvalidToken('the access token is for another audience')
      }
    }
    return body
  }

  return async (token) => {
    const isJwt = token.split('.').length === 3
    const claims =
      isJwt && options.introspect !== 'always'
        ? await fromJwt(token)
        : await fromIntrospection(token)
    const scope = typeof claims.scope === 'string' ? claims.scope.split(' ') : []
    const missing = required.find((s) => !scope.includes(s))
    if (missing) {
      throw new InsufficientScope(`the access token lacks the ${missing} scope`, options.scope!)
    }
    return {
      sub: String(claims.sub ?? ''),
      clientId: String(claims.client_id ?? ''),
      scope,
      claims,
    }
  }
}

/** An RFC 6750 3 error answer with its WWW-Authenticate challenge. */
export function bearerChallenge(error: unknown, realm = 'api'): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' })
  if (error instanceof MissingToken) {
    // RFC 6750 3.1: no credentials -> a challenge without an error code.
    headers.set('www-authenticate', `Bearer realm="${realm}"`)
    return new Response(JSON.stringify({ error: 'unauthorized' }), { status: 401, headers })
  }
  if (!(error instanceof OAuthError)) {
    return new Response(JSON.stringify({ error: 'server_error' }), { status: 500, headers })
  }
  let challenge = `Bearer realm="${realm}", error="${error.error}", error_description="${error.description}"`
  if (error instanceof InsufficientScope) challenge += `, scope="${error.scope}"`
  headers.set('www-authenticate', challenge)
  return new Response(JSON.stringify(error.toJSON()), { status: error.status, headers })
}

/** A Hono middleware factory: the verified token is `c.get('token')`. */
export function bearerAuth(
  options: ResourceServerOptions,
): MiddlewareHandler<{ Variables: { token: VerifiedToken } }> {
  const verify = createTokenVerifier(options)
  return async (c, next) => {
    try {
      c.set('token', await verify(readBearer(c.req.header('authorization'))))
    } catch (err) {
      return bearerChallenge(err, options.realm)
    }
    await next()
  }
}

/** The same for a plain fetch handler: `protect(options, (req, token) => new Response(...))`. */
export function protect(
  options: ResourceServerOptions,
  handler: (req: Request, token: VerifiedToken) => Response | Promise<Response>,
): (req: Request) => Promise<Response> {
  const verify = createTokenVerifier(options)
  return async (req) => {
    let token: VerifiedToken
    try {
      token = await verify(readBearer(req.headers.get('authorization') ?? undefined))
    } catch (err) {
      return bearerChallenge(err, options.realm)
    }
    return handler(req, token)
  }
}

function enc(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+')
}
