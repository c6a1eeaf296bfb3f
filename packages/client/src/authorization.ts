import type { AuthorizationServer } from './discovery.ts'
import { codeChallengeS256, generateCodeVerifier, generateState } from './pkce.ts'

/**
 * What the client must remember between the redirect and the callback. It holds the
 * `code_verifier`, a secret: keep it in storage only the app can read, and only until used.
 *
 * @example
 * ```ts
 * const { url, transaction } = await createAuthorizationRequest(server, { clientId, redirectUri })
 * await storage.set('tx', JSON.stringify(transaction))
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export interface AuthorizationTransaction {
  state: string
  codeVerifier: string
  redirectUri: string
}

/**
 * The parameters of an authorization request. `params` adds extension parameters (`prompt`,
 * `login_hint`, ...); it cannot override the protocol ones.
 *
 * @example
 * ```ts
 * const request: AuthorizationRequestOptions = {
 *   clientId: 'demo', redirectUri: 'https://app.example.com/callback', scope: 'profile email',
 *   params: { prompt: 'consent' },
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export interface AuthorizationRequestOptions {
  clientId: string
  redirectUri: string
  scope?: string | undefined
  params?: Record<string, string> | undefined
}

/**
 * Builds an authorization request URL with a fresh `state` and S256 PKCE challenge, and the
 * transaction to keep for the callback.
 *
 * @example
 * ```ts
 * const { url, transaction } = await createAuthorizationRequest(server, {
 *   clientId: 'demo',
 *   redirectUri: 'https://app.example.com/callback',
 *   scope: 'profile',
 * })
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export async function createAuthorizationRequest(
  server: AuthorizationServer,
  options: AuthorizationRequestOptions,
): Promise<{ url: URL; transaction: AuthorizationTransaction }> {
  const transaction = {
    state: generateState(),
    codeVerifier: generateCodeVerifier(),
    redirectUri: options.redirectUri,
  }
  const url = new URL(server.authorization_endpoint)
  const protocol: Record<string, string> = {
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    state: transaction.state,
    code_challenge: await codeChallengeS256(transaction.codeVerifier),
    // RFC 7636 section 4.3: without a method the server assumes "plain"; always send S256.
    code_challenge_method: 'S256',
  }
  if (options.scope) protocol.scope = options.scope
  for (const [name, value] of Object.entries({ ...options.params, ...protocol })) {
    url.searchParams.set(name, value)
  }
  return { url, transaction }
}
