import { createHash, randomBytes } from 'node:crypto'
import { signIn, type TestServer } from '../src/testing.ts'

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export function authorizeUrl(
  server: { url: string },
  params: Record<string, string | undefined>,
): string {
  const url = new URL('/authorize', server.url)
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v)
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

/** Runs the front half of the flow and returns a fresh code with what it was bound to. */
export async function getCode(
  server: TestServer,
  opts: { scope?: string; redirectUri?: string; state?: string } = {},
) {
  const { verifier, challenge } = pkcePair()
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1/callback'
  const location = await signIn(
    authorizeUrl(server, {
      client_id: server.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: opts.scope ?? 'profile email',
      state: opts.state ?? 'st-' + randomBytes(4).toString('hex'),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
    server,
  )
  const url = new URL(location)
  return { code: url.searchParams.get('code')!, verifier, redirectUri, location: url }
}

export async function getTokens(server: TestServer, opts: { scope?: string } = {}) {
  const { code, verifier, redirectUri } = await getCode(server, opts)
  const res = await tokenRequest(server, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: server.clientId,
    code_verifier: verifier,
  })
  if (res.status !== 200) throw new Error(`token exchange failed: ${JSON.stringify(res.json)}`)
  return res.json as { access_token: string; refresh_token: string; scope: string }
}
