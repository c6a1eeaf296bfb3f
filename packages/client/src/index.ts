/**
 * `@pixie/client`: a zero-dependency OAuth 2.1 Authorization Code + PKCE client for browsers,
 * Node >= 20, Deno, Bun and workers (Web Crypto + fetch only).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749
 * @see https://www.rfc-editor.org/rfc/rfc7636
 * @packageDocumentation
 */
export { PixieClient } from './client.ts'
export type { PixieClientOptions, AuthorizationUrlOptions } from './client.ts'
export { PixieClientError } from './errors.ts'
export type { PixieClientErrorCode, PixieClientErrorDetails } from './errors.ts'
export { base64url, codeChallengeS256, generateCodeVerifier, generateState } from './pkce.ts'
export { discover, metadataUrls, pixieServer, validateServerMetadata } from './discovery.ts'
export type { AuthorizationServer } from './discovery.ts'
export { createAuthorizationRequest } from './authorization.ts'
export type { AuthorizationRequestOptions, AuthorizationTransaction } from './authorization.ts'
export { checkState, parseAuthorizationResponse } from './callback.ts'
export { parseTokenResponse } from './token-response.ts'
export type { TokenSet } from './token-response.ts'
export { expiresWithin, memoryTokenStore, storageTokenStore } from './tokens.ts'
export type { TokenStore } from './tokens.ts'
export { memoryStorage, webStorage } from './storage.ts'
export type { Awaitable, KeyValueStorage } from './storage.ts'
export { authorizedFetch, isInvalidTokenChallenge } from './fetch.ts'
export type { AuthorizedFetchDeps } from './fetch.ts'
export { revokeToken } from './revocation.ts'
export type { TokenTypeHint } from './revocation.ts'
export type { FetchLike } from './http.ts'
