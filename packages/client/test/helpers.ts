// Shared test helpers: a recording fake `fetch` and a fake authorization server.
import { PixieClient, memoryStorage, memoryTokenStore, pixieServer } from '../src/index.ts'
import type { PixieClientOptions, TokenSet } from '../src/index.ts'

export const ISSUER = 'https://auth.example.com'
export const REDIRECT_URI = 'https://app.example.com/callback'

export type Handler = (req: Request, body: URLSearchParams) => Response | Promise<Response>

/** A fake `fetch` that records every request (with its form body) and answers with `handler`. */
export function recordingFetch(handler: Handler) {
  const calls: { req: Request; body: URLSearchParams }[] = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init)
    const body = new URLSearchParams(await req.clone().text())
    calls.push({ req, body })
    return handler(req, body)
  }
  return { fetch, calls }
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

let counter = 0
/** Token responses with fresh, distinct values. */
export function issue(extra: Record<string, unknown> = {}) {
  counter++
  return {
    access_token: `at-${counter}`,
    token_type: 'Bearer',
    expires_in: 3600,
    refresh_token: `rt-${counter}`,
    ...extra,
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function makeClient(handler: Handler, options: Partial<PixieClientOptions> = {}) {
  const { fetch, calls } = recordingFetch(handler)
  const client = new PixieClient({
    server: pixieServer(ISSUER, { revocation_endpoint: `${ISSUER}/api/revoke` }),
    clientId: 'demo',
    redirectUri: REDIRECT_URI,
    scope: 'profile email',
    fetch,
    storage: memoryStorage(),
    locks: null,
    ...options,
  })
  return { client, calls }
}

export function tokens(extra: Partial<TokenSet> = {}): TokenSet {
  return {
    accessToken: 'at-old',
    tokenType: 'Bearer',
    expiresAt: Date.now() + 3600_000,
    refreshToken: 'rt-old',
    ...extra,
  }
}

export { memoryTokenStore }
